// kubewarden/settings.h: decoding policy settings with serde's rules and messages.
//
// Upstream Rust policies decode their settings into a #[derive(Deserialize)] struct; a wrong
// type, a missing required field or an unknown enum variant fails with serde's text, which
// kwctl prints as `Provided settings are not valid: <text>` (policies.md §1.3). A
// SettingsReader reproduces that decode: read each field once, in the struct's declaration
// order, then check ok()/error().
//
//   kubewarden::SettingsReader r(settings);          // the settings object
//   bool skip = r.Bool("skip_init_containers", false);
//   auto names = r.StringList("allowed_capabilities");
//   if (!r.ok()) return kubewarden::SettingsInvalid(r.error());
//
// Field kinds follow serde:
//   * defaulted fields (`#[serde(default)]`, e.g. Bool(key, false)): absent -> the default;
//     present but null -> "invalid type: null, expected a boolean";
//   * Optional* (Option<T>): absent or null -> nullopt;
//   * Required* (no default): absent -> "missing field `key`"; null -> invalid type.
// A field of the wrong type records the error and yields the default (or nullopt).
//
// When several fields are wrong, serde reports the first one in the INPUT order of the JSON
// object (it decodes members as it meets them), and a missing field only after all members of
// its struct. The reader keeps exactly that error, whatever order the fields are read in, and
// also across nested structs (Struct, StructList). Unknown members are ignored unless
// DenyUnknownFields is called.
//
// A reader and the readers it creates share one error state owned by the first (root) reader,
// which must outlive them; readers refer to the json::Value they read, which must outlive them.
#ifndef KUBEWARDEN_SETTINGS_H_
#define KUBEWARDEN_SETTINGS_H_

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kubewarden/json.h"
#include "kubewarden/serde.h"

namespace kubewarden {

class SettingsReader {
 public:
  // Reads the struct `value`; `struct_name` is its Rust name, used when `value` is not an
  // object ("invalid type: sequence, expected struct Settings").
  explicit SettingsReader(const json::Value& value, std::string_view struct_name = "Settings")
      : owned_(new State), state_(owned_.get()), value_(&value) {
    CheckStruct(struct_name);
  }
  SettingsReader(SettingsReader&&) = default;
  SettingsReader& operator=(SettingsReader&&) = default;

  // Whether no decode error was found so far.
  bool ok() const { return state_->message.empty(); }
  // The first decode error (serde's), or "".
  const std::string& error() const { return state_->message; }

  // --- bool ---
  bool Bool(std::string_view key, bool default_value) {
    return Decode(key, Presence::kDefaulted, serde::DecodeBool).value_or(default_value);
  }
  std::optional<bool> OptionalBool(std::string_view key) {
    return Decode(key, Presence::kOptional, serde::DecodeBool);
  }
  bool RequiredBool(std::string_view key) {
    return Decode(key, Presence::kRequired, serde::DecodeBool).value_or(false);
  }

  // --- String (views into the settings JSON) ---
  std::string_view String(std::string_view key, std::string_view default_value) {
    return Decode(key, Presence::kDefaulted, serde::DecodeString).value_or(default_value);
  }
  std::optional<std::string_view> OptionalString(std::string_view key) {
    return Decode(key, Presence::kOptional, serde::DecodeString);
  }
  std::string_view RequiredString(std::string_view key) {
    return Decode(key, Presence::kRequired, serde::DecodeString).value_or(std::string_view());
  }

  // --- Integers: T is the Rust type (int32_t = i32, uint16_t = u16, ...). ---
  template <typename T>
  T Integer(std::string_view key, T default_value) {
    return Decode(key, Presence::kDefaulted, serde::DecodeInteger<T>).value_or(default_value);
  }
  template <typename T>
  std::optional<T> OptionalInteger(std::string_view key) {
    return Decode(key, Presence::kOptional, serde::DecodeInteger<T>);
  }
  template <typename T>
  T RequiredInteger(std::string_view key) {
    return Decode(key, Presence::kRequired, serde::DecodeInteger<T>).value_or(T{});
  }

  // --- Vec<String> / HashSet<String> / BTreeSet<String> (in input order; duplicates kept) ---
  std::vector<std::string_view> StringList(std::string_view key) {
    return DecodeStringList(key, Presence::kDefaulted).value_or(std::vector<std::string_view>());
  }
  std::optional<std::vector<std::string_view>> OptionalStringList(std::string_view key) {
    return DecodeStringList(key, Presence::kOptional);
  }
  std::vector<std::string_view> RequiredStringList(std::string_view key) {
    return DecodeStringList(key, Presence::kRequired).value_or(std::vector<std::string_view>());
  }

  // --- An enum of unit variants, spelled as strings: the index into `variants` (declaration
  // order, which is also the order serde lists them in "expected one of"). Absent: `def` if
  // given (#[serde(default)]), else "missing field". ---
  std::optional<std::size_t> Enum(std::string_view key,
                                  std::initializer_list<std::string_view> variants,
                                  std::optional<std::size_t> def = std::nullopt) {
    auto decode = [variants](const json::Value& v, std::string* e) {
      return serde::DecodeVariant(v, variants, e);
    };
    auto r = Decode(key, def ? Presence::kDefaulted : Presence::kRequired, decode);
    return r ? r : def;
  }
  std::optional<std::size_t> OptionalEnum(std::string_view key,
                                          std::initializer_list<std::string_view> variants) {
    auto decode = [variants](const json::Value& v, std::string* e) {
      return serde::DecodeVariant(v, variants, e);
    };
    return Decode(key, Presence::kOptional, decode);
  }

  // --- Nested structs. ---
  // A reader for member `key`, a struct named `struct_name`; nullopt when absent or null (the
  // caller decides whether that is a default or "missing field": see MissingField).
  std::optional<SettingsReader> Struct(std::string_view key, std::string_view struct_name) {
    std::size_t index;
    const json::Value* v = Member(key, &index);
    if (v == nullptr || v->IsNull()) return std::nullopt;
    return Child(*v, index, std::nullopt, struct_name);
  }
  // Readers for the elements of a sequence of structs; absent/null -> empty (a sequence of
  // another type records an error). Each element that is not an object records
  // "invalid type: ..., expected struct <struct_name>" and is skipped.
  std::vector<SettingsReader> StructList(std::string_view key, std::string_view struct_name,
                                         bool null_is_error = false) {
    std::vector<SettingsReader> out;
    std::size_t index;
    const json::Value* v = Member(key, &index);
    if (v == nullptr || (v->IsNull() && !null_is_error)) return out;
    if (!v->IsArray()) {
      Report(Rank(index), serde::InvalidType(*v, "a sequence"));
      return out;
    }
    std::uint32_t element = 0;
    for (const json::Value& e : *v) {
      SettingsReader r = Child(e, index, element++, struct_name);
      if (e.IsObject()) out.push_back(std::move(r));
    }
    return out;
  }

  // --- Escape hatches for custom types. ---
  // The member `key` (nullptr when absent), for decoding by hand; report problems with Fail.
  const json::Value* Raw(std::string_view key) const { return Member(key, nullptr); }
  // Records `message` as an error found at member `key` (ranked by its position; at the end of
  // the struct when `key` is absent).
  void Fail(std::string_view key, std::string message) {
    std::size_t index;
    const json::Value* v = Member(key, &index);
    Report(v ? Rank(index) : Rank(kEnd), std::move(message));
  }
  // Records "missing field `key`" (for an absent Struct that has no default).
  void MissingField(std::string_view key) { Report(Rank(kEnd), serde::MissingField(key)); }
  // serde's deny_unknown_fields: every member must be one of `fields`.
  void DenyUnknownFields(std::initializer_list<std::string_view> fields) {
    if (!value_->IsObject()) return;
    std::size_t index = 0;
    for (const json::Value& m : *value_) {
      bool known = false;
      for (std::string_view f : fields) known = known || f == m.key();
      if (!known) Report(Rank(index), serde::UnknownField(m.key(), fields));
      ++index;
    }
  }

  const json::Value& value() const { return *value_; }

 private:
  enum class Presence { kDefaulted, kOptional, kRequired };
  static constexpr std::uint32_t kEnd = 0xFFFFFFFFu;

  struct State {
    std::string message;
    std::vector<std::uint32_t> rank;  // where `message` was found (see Rank)
  };

  SettingsReader() = default;

  // Where an error sits in serde's decode order: the path of member/element indexes from the
  // root, compared lexicographically; kEnd (after every member) for missing fields.
  std::vector<std::uint32_t> Rank(std::size_t index) const {
    std::vector<std::uint32_t> r = path_;
    r.push_back(static_cast<std::uint32_t>(index));
    return r;
  }

  void Report(std::vector<std::uint32_t> rank, std::string message) {
    if (!state_->message.empty() && !(rank < state_->rank)) return;
    state_->message = std::move(message);
    state_->rank = std::move(rank);
  }

  void CheckStruct(std::string_view struct_name) {
    if (!value_->IsObject()) {
      std::string expected = "struct ";
      expected.append(struct_name);
      Report(path_, serde::InvalidType(*value_, expected));
    }
  }

  SettingsReader Child(const json::Value& v, std::size_t index,
                       std::optional<std::uint32_t> element, std::string_view struct_name) {
    SettingsReader r;
    r.state_ = state_;
    r.value_ = &v;
    r.path_ = Rank(index);
    if (element) r.path_.push_back(*element);
    r.CheckStruct(struct_name);
    return r;
  }

  // The first member `key` and its index among the members, or nullptr.
  const json::Value* Member(std::string_view key, std::size_t* index) const {
    if (!value_->IsObject()) return nullptr;
    std::size_t i = 0;
    for (const json::Value& m : *value_) {
      if (m.key() == key) {
        if (index) *index = i;
        return &m;
      }
      ++i;
    }
    return nullptr;
  }

  template <typename Fn>
  auto Decode(std::string_view key, Presence presence, Fn decode)
      -> decltype(decode(std::declval<const json::Value&>(), nullptr)) {
    std::size_t index;
    const json::Value* v = Member(key, &index);
    if (v == nullptr) {
      if (presence == Presence::kRequired && value_->IsObject()) MissingField(key);
      return std::nullopt;
    }
    if (v->IsNull() && presence == Presence::kOptional) return std::nullopt;
    std::string error;
    auto r = decode(*v, &error);
    if (!r) Report(Rank(index), std::move(error));
    return r;
  }

  std::optional<std::vector<std::string_view>> DecodeStringList(std::string_view key,
                                                                Presence presence) {
    std::size_t index;
    const json::Value* v = Member(key, &index);
    if (v == nullptr) {
      if (presence == Presence::kRequired && value_->IsObject()) MissingField(key);
      return std::nullopt;
    }
    if (v->IsNull() && presence == Presence::kOptional) return std::nullopt;
    if (!v->IsArray()) {
      Report(Rank(index), serde::InvalidType(*v, "a sequence"));
      return std::nullopt;
    }
    std::vector<std::string_view> out;
    out.reserve(v->size());
    for (const json::Value& e : *v) {
      std::string error;
      auto s = serde::DecodeString(e, &error);
      if (!s) {
        Report(Rank(index), std::move(error));
        return std::nullopt;
      }
      out.push_back(*s);
    }
    return out;
  }

  std::unique_ptr<State> owned_;  // set in the root reader only
  State* state_ = nullptr;
  const json::Value* value_ = nullptr;
  std::vector<std::uint32_t> path_;
};

}  // namespace kubewarden

#endif  // KUBEWARDEN_SETTINGS_H_
