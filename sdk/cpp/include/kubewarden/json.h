// kubewarden/json.h: a small, fast JSON DOM for policies, without exceptions.
//
// A json::Document owns an arena. Parse() turns text into a tree of json::Value nodes allocated
// in that arena: one pointer bump per node, nothing per string. Strings without escapes
// point straight into the parsed text, which therefore MUST outlive the document; strings with
// escapes are decoded (full \uXXXX handling, UTF-16 surrogate pairs joined) into the arena.
// Numbers keep their literal text, so nothing is ever rounded and a number written back is
// byte-identical. Objects keep their members in input order, and so does serialization.
//
// Reading: Find(key), At(index), Get("spec/template/spec") (a JSON-pointer-like path) and typed
// getters returning std::optional (AsBool, AsString, AsInt64, GetBool(path), ...). Values are
// walked with range-for over their children (object members carry key()).
//
// Writing: a Document creates detached values (String, Int, Object, ...) and edits containers
// (Set keeps a replaced member's position, Erase, PushBack, Insert). Serialize() writes compact
// JSON, re-escaping strings that need it; a json::Writer builds JSON text directly.
// AppendJsonAsRead() writes the same value but copies each container that no edit has changed
// since it was parsed as the text it was read from: a policy handing back a mutated object
// re-writes only the path to its edits (and the host, diffing the answer against the request,
// finds the untouched parts byte for byte).
//
// Parse() may be called more than once on a document (earlier values stay valid); everything
// is freed with the document.
//
// On demand: ParseOnDemand() makes one structural pass over the text (where every object and
// array begins and ends: strings and escapes followed, bracket pairs checked, nesting bounded),
// parses the top level, and leaves each nested container as text until it is first looked into
// (Find, At, size, iteration, an edit): then that one level is parsed, its nested containers
// found on the tape without reading them. Serialization copies the text of a container nobody
// looked into, so an edit re-writes only the path to it. Syntax errors inside a container are
// met when it is read: it reads as empty and deferred_error() names the first problem. The
// Kubewarden host sends policies only JSON it parsed itself; this is for hostile bytes: never a
// crash, and the work stays linear in the text. Measured in policies: the pass costs most of a
// whole parse (scalar code, no SIMD), so reading on demand pays only when a policy reads a small
// part of the text (request.h's KUBEWARDEN_REQUEST_ON_DEMAND).
//
// Out of memory traps (__builtin_trap): a policy cannot recover from it anyway.
//
// Thread-compatibility: a Document and its values are plain data; use one per thread.
#ifndef KUBEWARDEN_JSON_H_
#define KUBEWARDEN_JSON_H_

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <optional>
#include <string>
#include <string_view>

#include "kubewarden/decimal.h"

// Forces inlining of the few helpers of the parser's hot loop (see Parser).
#define KUBEWARDEN_INLINE_ inline __attribute__((always_inline))

namespace kubewarden::json {

// Containers nested deeper than this are a parse error ("recursion limit exceeded"). The
// Kubewarden host accepts bodies nested 512 deep; the payload wraps them in two more levels.
inline constexpr std::size_t kMaxDepth = 1024;

enum class Type : std::uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };

// A bump allocator. Memory is released all at once when the arena is destroyed.
class Arena {
 public:
  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  ~Arena() {
    while (blocks_ != nullptr) {
      Block* prev = blocks_->prev;
      std::free(blocks_);
      blocks_ = prev;
    }
  }

  // Returns `size` bytes aligned to `align` (a power of two, at most alignof(max_align_t)).
  KUBEWARDEN_INLINE_ void* Allocate(std::size_t size, std::size_t align = alignof(void*)) {
    std::uintptr_t p = (reinterpret_cast<std::uintptr_t>(next_) + align - 1) & ~(align - 1);
    // (Alignment may step past end_: compare addresses, never a negative distance.)
    std::uintptr_t end = reinterpret_cast<std::uintptr_t>(end_);
    if (next_ == nullptr || p > end || size > end - p) return AllocateSlow(size, align);
    next_ = reinterpret_cast<char*>(p) + size;
    return reinterpret_cast<void*>(p);
  }

  // Copies `s` into the arena (not NUL-terminated).
  const char* CopyString(std::string_view s) {
    if (s.empty()) return "";
    char* p = static_cast<char*>(Allocate(s.size(), 1));
    std::memcpy(p, s.data(), s.size());
    return p;
  }

 private:
  struct Block {
    Block* prev;
    std::size_t size;
  };
  static constexpr std::size_t kFirstBlock = 16 * 1024;

  __attribute__((noinline)) void* AllocateSlow(std::size_t size, std::size_t align) {
    // Blocks double so a big document costs O(log n) mallocs.
    std::size_t want = blocks_ ? blocks_->size * 2 : kFirstBlock;
    std::size_t need = sizeof(Block) + size + align;
    if (want < need) want = need;
    Block* b = static_cast<Block*>(std::malloc(want));
    if (b == nullptr) __builtin_trap();
    b->prev = blocks_;
    b->size = want;
    blocks_ = b;
    next_ = reinterpret_cast<char*>(b + 1);
    end_ = reinterpret_cast<char*>(b) + want;
    return Allocate(size, align);
  }

  Block* blocks_ = nullptr;
  char* next_ = nullptr;
  char* end_ = nullptr;
};

class Document;
class Value;

namespace internal {

// One object or array of a text read on demand (Document::ParseOnDemand), in the order of their
// opening brackets.
struct TapeEntry {
  const char* open;
  const char* close;    // its closing bracket
  std::uint32_t after;  // the index of the first container after it and all it contains
};

// The text a container was parsed from, brackets included (Value::source_), and the document
// that parsed it (whose edit marks say whether anything inside it changed).
struct SourceText {
  const char* begin;
  std::uint32_t size;
  Document* doc;
};

// Where in its source text a container was first edited (Document::edits_).
struct EditMark {
  const char* at;
  EditMark* next;
};

// Set once any value is changed in place (Value::SetNull, SetBool), in any document: such an
// edit leaves no mark its ancestors can find, so from then on AppendJsonAsRead looks through
// every container to learn whether it changed. Policies edit by replacing members.
inline bool g_values_reset_in_place = false;

// A text read on demand: where its containers are, and the document that reads them.
struct OnDemandText {
  Document* doc;
  const char* begin;
  const char* end;
  const TapeEntry* tape;
  std::uint32_t containers;  // entries of `tape`
};

}  // namespace internal

// Iterates the children of an array or object (nothing for scalars).
template <typename V>
class ChildIterator {
 public:
  explicit ChildIterator(V* node) : node_(node) {}
  V& operator*() const { return *node_; }
  V* operator->() const { return node_; }
  ChildIterator& operator++();
  bool operator==(const ChildIterator& other) const { return node_ == other.node_; }
  bool operator!=(const ChildIterator& other) const { return node_ != other.node_; }

 private:
  V* node_;
};

// One JSON value: a node of a Document. Values are handled by pointer or reference and live as
// long as their document. A value that is an object member also carries its key().
class Value {
 public:
  Value(const Value&) = delete;
  Value& operator=(const Value&) = delete;

  Type type() const { return type_; }
  bool IsNull() const { return type_ == Type::kNull; }
  bool IsBool() const { return type_ == Type::kBool; }
  bool IsNumber() const { return type_ == Type::kNumber; }
  bool IsString() const { return type_ == Type::kString; }
  bool IsArray() const { return type_ == Type::kArray; }
  bool IsObject() const { return type_ == Type::kObject; }
  // True for a number written without fraction or exponent ("-12", not "1.0" or "1e3").
  bool IsInteger() const {
    if (type_ != Type::kNumber) return false;
    for (std::uint32_t i = 0; i < size_; ++i) {
      char c = text_[i];
      if (c == '.' || c == 'e' || c == 'E') return false;
    }
    return true;
  }

  // The key of an object member; empty for anything else.
  std::string_view key() const { return {key_, key_size_}; }

  // --- Scalars. Each returns nullopt when the value has another type. ---
  std::optional<bool> AsBool() const {
    if (type_ != Type::kBool) return std::nullopt;
    return size_ != 0;
  }
  // The decoded string.
  std::optional<std::string_view> AsString() const {
    if (type_ != Type::kString) return std::nullopt;
    return std::string_view(text_, size_);
  }
  // A number's literal text, exactly as written ("1.50e3"); empty for non-numbers.
  std::string_view NumberText() const {
    return type_ == Type::kNumber ? std::string_view(text_, size_) : std::string_view();
  }
  // Integers only (see IsInteger), and only when they fit.
  std::optional<std::int64_t> AsInt64() const;
  std::optional<std::uint64_t> AsUint64() const;
  // Any number, as the nearest double.
  std::optional<double> AsDouble() const;

  // --- Containers. ---
  // Number of members or elements; 0 for scalars.
  std::size_t size() const {
    if (!IsContainer()) return 0;
    Materialize();
    return size_;
  }
  bool empty() const { return size() == 0; }
  // The first member named `key` of an object, or nullptr (also when this is not an object).
  const Value* Find(std::string_view key) const;
  Value* Find(std::string_view key) {
    return const_cast<Value*>(static_cast<const Value*>(this)->Find(key));
  }
  // The element at `index` of an array, or nullptr. O(index).
  const Value* At(std::size_t index) const;
  Value* At(std::size_t index) {
    return const_cast<Value*>(static_cast<const Value*>(this)->At(index));
  }
  // Follows a path of '/'-separated tokens from this value: object keys, or decimal indexes
  // into arrays. A leading '/' is optional, "" is this value, "~1" in a token stands for '/'
  // and "~0" for '~' (RFC 6901). Returns nullptr when any step is missing. A JSON null at the
  // end of the path is returned as a value: use the typed getters to treat it as absent.
  const Value* Get(std::string_view path) const;
  Value* Get(std::string_view path) {
    return const_cast<Value*>(static_cast<const Value*>(this)->Get(path));
  }
  // Typed shortcuts: Get(path) then As*(); nullopt when missing or of another type.
  std::optional<bool> GetBool(std::string_view path) const {
    const Value* v = Get(path);
    return v ? v->AsBool() : std::nullopt;
  }
  std::optional<std::string_view> GetString(std::string_view path) const {
    const Value* v = Get(path);
    return v ? v->AsString() : std::nullopt;
  }
  std::optional<std::int64_t> GetInt64(std::string_view path) const {
    const Value* v = Get(path);
    return v ? v->AsInt64() : std::nullopt;
  }
  // The value at `path` if it is an object / array, else nullptr.
  const Value* GetObject(std::string_view path) const {
    const Value* v = Get(path);
    return v && v->IsObject() ? v : nullptr;
  }
  Value* GetObject(std::string_view path) {
    Value* v = Get(path);
    return v && v->IsObject() ? v : nullptr;
  }
  const Value* GetArray(std::string_view path) const {
    const Value* v = Get(path);
    return v && v->IsArray() ? v : nullptr;
  }
  Value* GetArray(std::string_view path) {
    Value* v = Get(path);
    return v && v->IsArray() ? v : nullptr;
  }

  ChildIterator<const Value> begin() const { return ChildIterator<const Value>(FirstChild()); }
  ChildIterator<const Value> end() const { return ChildIterator<const Value>(nullptr); }
  ChildIterator<Value> begin() { return ChildIterator<Value>(FirstChild()); }
  ChildIterator<Value> end() { return ChildIterator<Value>(nullptr); }

  // --- In-place scalar edits (the value keeps its key and position). ---
  void SetNull() { Reset(Type::kNull); }
  void SetBool(bool b) {
    Reset(Type::kBool);
    size_ = b ? 1 : 0;
  }

 private:
  friend class Document;
  friend class Parser;
  template <typename V>
  friend class ChildIterator;
  friend std::size_t SerializedSize(const Value& value, bool as_read, bool* unchanged);
  friend char* WriteJson(char* out, const Value& value, bool as_read);
  friend bool Equal(const Value& a, const Value& b);

  // Flags.
  static constexpr std::uint8_t kKeyVerbatim = 1;   // key_ needs no escaping when written
  static constexpr std::uint8_t kTextVerbatim = 2;  // string text_ needs no escaping
  static constexpr std::uint8_t kAttached = 4;      // member of a container (or a root)
  // A container not read yet (ParseOnDemand): text_ is its opening bracket, size_ its index in
  // lazy_text_->tape.
  static constexpr std::uint8_t kLazy = 8;
  // A value changed in place (SetNull, SetBool): the text it was read from is stale.
  static constexpr std::uint8_t kEdited = 16;
  // Set by AppendJsonAsRead's sizing pass on each container it will copy from source_.
  static constexpr std::uint8_t kAsRead = 32;

  Value() = default;
  bool IsContainer() const { return type_ == Type::kArray || type_ == Type::kObject; }
  bool IsLazy() const { return (flags_ & kLazy) != 0; }
  // A lazy container's text, brackets included.
  std::string_view LazyText() const {
    return {text_, static_cast<std::size_t>(lazy_text_->tape[size_].close + 1 - text_)};
  }
  // Parses the one level of a lazy container (see ParseOnDemand); a no-op otherwise.
  KUBEWARDEN_INLINE_ void Materialize() const {
    if (IsLazy()) MaterializeSlow();
  }
  void MaterializeSlow() const;
  // Makes `v` the last child of this container (no checks).
  KUBEWARDEN_INLINE_ void LinkChild(Value* v) {
    if (last_ == nullptr) {
      first_ = v;
    } else {
      last_->next_ = v;
    }
    last_ = v;
    ++size_;
  }
  Value* FirstChild() const {
    if (!IsContainer()) return nullptr;
    Materialize();
    return first_;
  }
  void Reset(Type t) {
    type_ = t;
    size_ = 0;
    text_ = nullptr;
    last_ = nullptr;
    source_ = nullptr;
    flags_ = static_cast<std::uint8_t>((flags_ & (kKeyVerbatim | kAttached)) | kEdited);
    internal::g_values_reset_in_place = true;
  }
  // A container's members or elements changed: its text as read no longer says what it holds
  // (see Document::Touch, which also marks where).
  void Touch() { source_ = nullptr; }

  Value* next_ = nullptr;  // next sibling; while parsing an open container: its parent
  const char* key_ = nullptr;
  std::uint32_t key_size_ = 0;
  std::uint32_t size_ = 0;  // bytes of a string/number; children of a container; bool value
  union {
    const char* text_ = nullptr;  // string or number bytes; a lazy container's text
    Value* first_;                // first child of a container
  };
  union {
    Value* last_ = nullptr;  // last child of a container
    const internal::OnDemandText* lazy_text_;  // a lazy container's text
  };
  // A parsed container's text until an edit changes its members (Touch); null for containers
  // made by the policy. A record in the arena rather than the span itself, to keep the node
  // within 32 bytes (see the static_assert below).
  internal::SourceText* source_ = nullptr;
  Type type_ = Type::kNull;
  std::uint8_t flags_ = 0;
};

// Policies parse and create nodes by the thousand: on wasm32, a node of more than 32 bytes is
// zeroed by a call to memset rather than four stores.
static_assert(sizeof(void*) != 4 || sizeof(Value) <= 32);

template <typename V>
ChildIterator<V>& ChildIterator<V>::operator++() {
  node_ = node_->next_;
  return *this;
}

// Appends `s` to `out` as a JSON string literal, quotes included. Escapes `"`, `\` and control
// characters (\b \f \n \r \t, others as \u00XX), like serde_json; everything else is copied.
void AppendQuoted(std::string& out, std::string_view s);

// Appends the compact JSON text of `value` to `out`.
void AppendJson(std::string& out, const Value& value);
// Appends the JSON text of `value` to `out`, copying each container that is unchanged since it
// was parsed as the text it was read from (its whitespace and escapes included); the rest is
// written compact. For handing a mutated object back: the cost is the edits', not the object's.
void AppendJsonAsRead(std::string& out, const Value& value);
// The compact JSON text of `value`.
inline std::string Serialize(const Value& value) {
  std::string out;
  AppendJson(out, value);
  return out;
}

// Deep equality. Object members are compared as sets of keys (order-insensitive; objects with
// duplicate keys are equal only member by member in order); numbers are equal when their texts
// are, or when both are integers of equal value, or both are non-integer numbers with equal
// double values (serde_json: 1 and 1.0 differ).
bool Equal(const Value& a, const Value& b);

// Owns the values of one JSON tree (or several): the parse result and anything created.
class Document {
 public:
  Document() = default;
  Document(const Document&) = delete;
  Document& operator=(const Document&) = delete;

  // Parses `text` (which must outlive this document). Returns the root value, or nullptr with
  // error() set to "<reason> at line L column C". Whitespace around the value is allowed;
  // anything else after it is an error ("trailing characters").
  Value* Parse(std::string_view text);
  const std::string& error() const { return error_; }

  // Parses `text` (which must outlive this document) on demand (see the file comment): the
  // top level now, with the errors of Parse() for it; each nested container when first read.
  Value* ParseOnDemand(std::string_view text);
  // The first error met reading a container of ParseOnDemand() later, "<reason> at line L
  // column C"; empty while there is none.
  const std::string& deferred_error() const { return deferred_error_; }

  // --- New detached values, to be placed with Set/PushBack/Insert. ---
  Value* Null() { return New(Type::kNull); }
  Value* Bool(bool b) {
    Value* v = New(Type::kBool);
    v->size_ = b ? 1 : 0;
    return v;
  }
  Value* Int(std::int64_t n);
  Value* Uint(std::uint64_t n);
  // A number with the given literal text, which must be a valid JSON number (not checked).
  Value* Number(std::string_view literal) {
    Value* v = New(Type::kNumber);
    v->text_ = arena_.CopyString(literal);
    v->size_ = static_cast<std::uint32_t>(literal.size());
    return v;
  }
  // A string, copied into the arena.
  Value* String(std::string_view s) {
    return StringRef(std::string_view(arena_.CopyString(s), s.size()));
  }
  // A string pointing at `s`, which must outlive the document (literals, the parsed text).
  Value* StringRef(std::string_view s) {
    Value* v = New(Type::kString);
    v->text_ = s.data();
    v->size_ = static_cast<std::uint32_t>(s.size());
    if (!NeedsEscape(s)) v->flags_ |= Value::kTextVerbatim;
    return v;
  }
  Value* Object() { return New(Type::kObject); }
  Value* Array() { return New(Type::kArray); }
  // A detached deep copy of `v` (which may belong to another document whose text and arena
  // outlive this one: string bytes are shared, not copied).
  Value* Clone(const Value& v);

  // --- Object edits. `value` must be detached (new or cloned); it is placed, not copied, and
  // must not contain `object` (a cycle would make serialization loop forever). ---
  // Sets member `key` of `object` to `value`. An existing member keeps its position (the first
  // one if the key is duplicated); otherwise the member is appended. Returns `value`, or
  // nullptr if `object` is not an object or `value` is already placed.
  Value* Set(Value& object, std::string_view key, Value* value);
  // Inserts member `key` = `value` before the member at `index` (clamped to size()), without
  // looking for an existing `key`. Returns `value`, or nullptr as Set.
  Value* Insert(Value& object, std::size_t index, std::string_view key, Value* value);
  // Member `key` of `object` if it is an object; otherwise (absent or null) a new empty object
  // is set there. Returns nullptr when `object` is not an object or the member exists with
  // another type (never overwrites data).
  Value* GetOrAddObject(Value& object, std::string_view key);
  // Same for an array member.
  Value* GetOrAddArray(Value& object, std::string_view key);
  // Removes the first member `key`. Returns whether one was removed.
  bool Erase(Value& object, std::string_view key);

  // --- Array edits. ---
  // Appends `value`; returns it, or nullptr if `array` is not an array or `value` is placed.
  Value* PushBack(Value& array, Value* value);
  // Removes the element at `index`; returns whether it existed.
  bool EraseAt(Value& array, std::size_t index);

  Arena& arena() { return arena_; }

  // Whether `s` contains a character AppendQuoted would escape.
  static bool NeedsEscape(std::string_view s);

 private:
  friend class Parser;
  friend class Value;
  KUBEWARDEN_INLINE_ Value* New(Type t) {
    Value* v = new (arena_.Allocate(sizeof(Value))) Value();
    v->type_ = t;
    return v;
  }
  // The source text record of a container starting at `begin`; its size is set at the end.
  KUBEWARDEN_INLINE_ internal::SourceText* NewSourceText(const char* begin, std::size_t size = 0) {
    return new (arena_.Allocate(sizeof(internal::SourceText)))
        internal::SourceText{begin, static_cast<std::uint32_t>(size), this};
  }
  bool Attach(Value& container, Value* value);
  // Every edit of a container's members goes through here: a container parsed by this document
  // and edited for the first time leaves a mark where its text began. A parsed container with
  // no mark inside its text holds what it was read with (nothing in it was replaced, so every
  // container under it was parsed with it, and any edit under it marked a place inside it):
  // AppendJsonAsRead copies it without looking in.
  // (The mark goes to the document that parsed the container, which may not be this one.)
  static void Touch(Value& container) {
    if (container.source_ != nullptr) {
      Document& parsed_by = *container.source_->doc;
      parsed_by.edits_ = new (parsed_by.arena_.Allocate(sizeof(internal::EditMark)))
          internal::EditMark{container.source_->begin, parsed_by.edits_};
    }
    container.Touch();
  }
  friend bool EditedWithin(const internal::SourceText& text);

  Arena arena_;
  internal::EditMark* edits_ = nullptr;
  std::string error_;
  std::string deferred_error_;
};

// Builds compact JSON text directly (no DOM), inserting commas and colons. The caller keeps the
// calls well nested (Begin/End pairs, a Key before each object member); not checked.
class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}

  Writer& BeginObject() { return Open('{'); }
  Writer& EndObject() { return Close('}'); }
  Writer& BeginArray() { return Open('['); }
  Writer& EndArray() { return Close(']'); }
  Writer& Key(std::string_view key) {
    Separate();
    AppendQuoted(out_, key);
    out_.push_back(':');
    need_comma_ = false;
    return *this;
  }
  Writer& String(std::string_view s) {
    Separate();
    AppendQuoted(out_, s);
    return *this;
  }
  Writer& Bool(bool b) { return Raw(b ? "true" : "false"); }
  Writer& Null() { return Raw("null"); }
  Writer& Int(std::int64_t n);
  Writer& Uint(std::uint64_t n);
  // A JSON text written verbatim (must be valid JSON).
  Writer& Raw(std::string_view json) {
    Separate();
    out_.append(json);
    return *this;
  }
  Writer& Json(const Value& v) {
    Separate();
    AppendJson(out_, v);
    return *this;
  }
  // The same through AppendJsonAsRead.
  Writer& JsonAsRead(const Value& v) {
    Separate();
    AppendJsonAsRead(out_, v);
    return *this;
  }

 private:
  void Separate() {
    if (need_comma_) out_.push_back(',');
    need_comma_ = true;
  }
  Writer& Open(char c) {
    Separate();
    out_.push_back(c);
    need_comma_ = false;
    return *this;
  }
  Writer& Close(char c) {
    out_.push_back(c);
    need_comma_ = true;
    return *this;
  }

  std::string& out_;
  bool need_comma_ = false;
};

// ------------------------------------------------------------------------------------------------
// Implementation.
// ------------------------------------------------------------------------------------------------

namespace internal {

// Writes the decimal digits of `n` backwards ending at `end`; returns the first digit.
inline char* FormatUint(std::uint64_t n, char* end) {
  do {
    *--end = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n != 0);
  return end;
}

inline std::string_view FormatInt(std::int64_t n, char (&buf)[24]) {
  char* end = buf + sizeof buf;
  std::uint64_t u = n < 0 ? 0 - static_cast<std::uint64_t>(n) : static_cast<std::uint64_t>(n);
  char* p = FormatUint(u, end);
  if (n < 0) *--p = '-';
  return std::string_view(p, static_cast<std::size_t>(end - p));
}

// SWAR helpers over 8 bytes: a high bit set in every byte of `w` that is zero / below 0x20.
// Only the lowest flagged byte is exact (borrows may flag bytes above it), which is all the
// scanners below use.
inline std::uint64_t ZeroBytes(std::uint64_t w) {
  return (w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull;
}
inline std::uint64_t SpecialStringBytes(std::uint64_t w) {
  return ZeroBytes(w ^ 0x2222222222222222ull) |                       // '"'
         ZeroBytes(w ^ 0x5c5c5c5c5c5c5c5cull) |                       // '\\'
         ((w - 0x2020202020202020ull) & ~w & 0x8080808080808080ull);  // < 0x20
}
inline std::uint64_t Load8(const char* p) {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

// Index of the first byte of [p, end) that is '"', '\\' or a control character, or end - p.
KUBEWARDEN_INLINE_ std::size_t ScanString(const char* p, const char* end) {
  const char* s = p;
  while (end - p >= 8) {
    std::uint64_t m = SpecialStringBytes(Load8(p));
    if (m != 0) return static_cast<std::size_t>(p - s) + (__builtin_ctzll(m) >> 3);
    p += 8;
  }
  while (p < end) {
    unsigned char c = static_cast<unsigned char>(*p);
    if (c == '"' || c == '\\' || c < 0x20) break;
    ++p;
  }
  return static_cast<std::size_t>(p - s);
}

// memcmp(a, b, n) == 0 for the short keys of JSON objects, without a libc call: wasm32 has no
// inline memcmp, and key comparisons are most of the work of lookups.
KUBEWARDEN_INLINE_ bool BytesEqual(const char* a, const char* b, std::size_t n) {
  while (n >= 8) {
    if (Load8(a) != Load8(b)) return false;
    a += 8;
    b += 8;
    n -= 8;
  }
  while (n > 0) {
    if (*a++ != *b++) return false;
    --n;
  }
  return true;
}

inline int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

inline char* AppendUtf8(char* out, std::uint32_t cp) {
  if (cp < 0x80) {
    *out++ = static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out++ = static_cast<char>(0xC0 | (cp >> 6));
    *out++ = static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *out++ = static_cast<char>(0xE0 | (cp >> 12));
    *out++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out++ = static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *out++ = static_cast<char>(0xF0 | (cp >> 18));
    *out++ = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    *out++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out++ = static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

}  // namespace internal

// The parser: iterative, one pass, values appended to their parent as they are met. While a
// container is open its `next_` (unused until a sibling follows it, which cannot happen before
// it closes) holds its parent, so no explicit stack is needed. The cursor lives in a local and
// the small helpers are force-inlined: in wasm, state kept in memory (members, out-parameters)
// costs a load and a store per access, which dominated an earlier version of this loop.
class Parser {
  friend class Document;

 public:
  // Parses [begin, end) into `doc`; nullptr with doc.error_ set on failure.
  static Value* Run(Document& doc, const char* begin, const char* end);

  // Finds every object and array of the container opening at `open` (ParseOnDemand): one pass
  // over the text that follows strings and escapes, checks that brackets pair up and bounds
  // nesting by kMaxDepth. Returns the tape in `text` (allocated in doc's arena), or false with
  // `*reason` and `*at` set.
  static bool BuildTape(Document& doc, internal::OnDemandText& text, const char* open,
                        const char** reason, const char** at);
  // Reads one level of the lazy container `c`: scalars are parsed, nested containers left lazy.
  // Returns false with `*reason` and `*at` set (`c` is then empty).
  static bool ParseLevel(Value& c, const char** reason, const char** at);
  // "<reason> at line L column C" for the byte `at` of [begin, end), into `out`.
  static void Describe(std::string& out, const char* begin, const char* at, const char* end,
                       const char* reason);

 private:
  KUBEWARDEN_INLINE_ static const char* SkipSpace(const char* p, const char* end) {
    // One comparison settles the common case (compact JSON: no whitespace at all).
    while (p < end && static_cast<unsigned char>(*p) <= ' ' &&
           (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) {
      ++p;
    }
    return p;
  }
  KUBEWARDEN_INLINE_ static const char* SkipDigits(const char* p, const char* end) {
    while (p < end && static_cast<unsigned char>(*p - '0') < 10) ++p;
    return p;
  }
  // The end of a JSON number starting at p (a '-' or a digit), or nullptr if malformed.
  KUBEWARDEN_INLINE_ static const char* ScanNumber(const char* p, const char* end) {
    if (*p == '-') ++p;
    if (p == end) return nullptr;
    if (*p == '0') {
      ++p;
    } else if (static_cast<unsigned char>(*p - '1') < 9) {
      p = SkipDigits(p + 1, end);
    } else {
      return nullptr;
    }
    if (p < end && *p == '.') {
      ++p;
      if (p == end || static_cast<unsigned char>(*p - '0') >= 10) return nullptr;
      p = SkipDigits(p, end);
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
      ++p;
      if (p < end && (*p == '+' || *p == '-')) ++p;
      if (p == end || static_cast<unsigned char>(*p - '0') >= 10) return nullptr;
      p = SkipDigits(p, end);
    }
    return p;
  }

  // Parses the member key whose opening quote is at p into `v`. Returns the position after
  // it, or nullptr with `*reason` and `*at` set. (ParseScalar reads string values the same way,
  // written out: a shared helper taking out-parameters made every parse slower.)
  KUBEWARDEN_INLINE_ static const char* ParseKey(Document& doc, Value* v, const char* p,
                                                 const char* end, const char** reason,
                                                 const char** at) {
    const char* s = ++p;
    p += internal::ScanString(p, end);
    if (p < end && *p == '"') {
      v->key_ = s;
      v->key_size_ = static_cast<std::uint32_t>(p - s);
      v->flags_ |= Value::kKeyVerbatim;
      return p + 1;
    }
    return ParseEscaped(doc, s, p, end, &v->key_, &v->key_size_, reason, at);
  }
  // Parses the string, number or literal at p (not at end) into `v`. Returns the position
  // after it, or nullptr with `*reason` and `*at` set.
  KUBEWARDEN_INLINE_ static const char* ParseScalar(Document& doc, Value* v, const char* p,
                                                    const char* end, const char** reason,
                                                    const char** at) {
    switch (*p) {
      case '"': {
        v->type_ = Type::kString;
        const char* s = ++p;
        p += internal::ScanString(p, end);
        if (p < end && *p == '"') {
          v->text_ = s;
          v->size_ = static_cast<std::uint32_t>(p - s);
          v->flags_ |= Value::kTextVerbatim;
          return p + 1;
        }
        return ParseEscaped(doc, s, p, end, &v->text_, &v->size_, reason, at);
      }
      case 't':
        if (end - p < 4 || std::memcmp(p, "true", 4) != 0) break;
        v->type_ = Type::kBool;
        v->size_ = 1;
        return p + 4;
      case 'f':
        if (end - p < 5 || std::memcmp(p, "false", 5) != 0) break;
        v->type_ = Type::kBool;
        return p + 5;
      case 'n':
        if (end - p < 4 || std::memcmp(p, "null", 4) != 0) break;
        return p + 4;
      default: {
        const bool numeric = *p == '-' || static_cast<unsigned char>(*p - '0') < 10;
        const char* n = numeric ? ScanNumber(p, end) : nullptr;
        if (n == nullptr) {
          *reason = numeric ? "invalid number" : "expected value";
          *at = p;
          return nullptr;
        }
        v->type_ = Type::kNumber;
        v->text_ = p;
        v->size_ = static_cast<std::uint32_t>(n - p);
        return n;
      }
    }
    *reason = "expected ident";
    *at = p;
    return nullptr;
  }

  // The string whose content starts at `start` has an escape (or a bad byte) at `p`: decodes it
  // into the arena. Returns the position after the closing quote, or nullptr with `*error` (and
  // `*error_at`) set.
  static const char* ParseEscaped(Document& doc, const char* start, const char* p, const char* end,
                                  const char** out, std::uint32_t* out_size, const char** error,
                                  const char** error_at);
  static bool Hex4(const char* p, const char* end, std::uint32_t* cp) {
    if (end - p < 4) return false;
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      int d = internal::HexDigit(p[i]);
      if (d < 0) return false;
      v = v * 16 + static_cast<std::uint32_t>(d);
    }
    *cp = v;
    return true;
  }
  static Value* Fail(Document& doc, const char* begin, const char* at, const char* end,
                     const char* reason);
};

inline Value* Parser::Run(Document& doc, const char* begin, const char* end) {
  const char* p = begin;
  Value* root = nullptr;
  Value* open = nullptr;  // innermost open container
  Value* v = nullptr;     // the node to fill next (pre-allocated with its key for members)
  Value* parent;
  std::size_t depth = 0;
  const char* reason;
  const char* error_at;

value:
  p = SkipSpace(p, end);
  if (p == end) {
    reason = "EOF while parsing a value";
    goto fail;
  }
  if (v == nullptr) v = doc.New(Type::kNull);
  v->flags_ |= Value::kAttached;
  switch (*p) {
    case '{':
    case '[':
      if (++depth > kMaxDepth) {
        reason = "recursion limit exceeded";
        goto fail;
      }
      v->type_ = *p == '{' ? Type::kObject : Type::kArray;
      v->source_ = doc.NewSourceText(p);
      ++p;
      break;
    default:
      p = ParseScalar(doc, v, p, end, &reason, &error_at);
      if (p == nullptr) return Fail(doc, begin, error_at, end, reason);
  }
  if (open == nullptr) {
    root = v;
  } else {
    open->LinkChild(v);
  }
  if (v->type_ == Type::kObject || v->type_ == Type::kArray) {
    v->next_ = open;
    open = v;
    v = nullptr;
    p = SkipSpace(p, end);
    if (p < end && *p == (open->type_ == Type::kObject ? '}' : ']')) {
      ++p;
      goto close_container;
    }
    if (open->type_ == Type::kObject) goto member_key;
    goto value;
  }
  v = nullptr;
  goto after_value;

close_container:
  // `open` just closed (p is past its bracket): restore its parent.
  open->source_->size = static_cast<std::uint32_t>(p - open->source_->begin);
  parent = open->next_;
  open->next_ = nullptr;
  open = parent;
  --depth;

after_value:
  p = SkipSpace(p, end);
  if (open == nullptr) {
    if (p != end) {
      reason = "trailing characters";
      goto fail;
    }
    return root;
  }
  if (p == end) {
    reason =
        open->type_ == Type::kObject ? "EOF while parsing an object" : "EOF while parsing a list";
    goto fail;
  }
  if (*p == ',') {
    ++p;
    if (open->type_ == Type::kObject) goto member_key;
    goto value;
  }
  if (*p == (open->type_ == Type::kObject ? '}' : ']')) {
    ++p;
    goto close_container;
  }
  reason = open->type_ == Type::kObject ? "expected `,` or `}`" : "expected `,` or `]`";
  goto fail;

member_key:
  p = SkipSpace(p, end);
  if (p == end) {
    reason = "EOF while parsing an object";
    goto fail;
  }
  if (*p != '"') {
    reason = "key must be a string";
    goto fail;
  }
  v = doc.New(Type::kNull);
  p = ParseKey(doc, v, p, end, &reason, &error_at);
  if (p == nullptr) return Fail(doc, begin, error_at, end, reason);
  p = SkipSpace(p, end);
  if (p == end) {
    reason = "EOF while parsing an object";
    goto fail;
  }
  if (*p != ':') {
    reason = "expected `:`";
    goto fail;
  }
  ++p;
  goto value;

fail:
  return Fail(doc, begin, p, end, reason);
}

inline const char* Parser::ParseEscaped(Document& doc, const char* start, const char* p,
                                        const char* end, const char** out, std::uint32_t* out_size,
                                        const char** error, const char** error_at) {
  static constexpr const char* kControl =
      "control character (\\u0000-\\u001F) found while parsing a string";
  auto fail = [&](const char* at, const char* reason) -> const char* {
    *error_at = at;
    *error = reason;
    return nullptr;
  };
  if (p == end) return fail(end, "EOF while parsing a string");
  if (*p != '\\') return fail(p, kControl);
  // Find the closing quote to size the buffer (decoding never makes the text longer).
  const char* q = p;
  while (true) {
    q += internal::ScanString(q, end);
    if (q == end) return fail(end, "EOF while parsing a string");
    if (*q == '"') break;
    if (*q != '\\') return fail(q, kControl);
    if (end - q < 2) return fail(end, "EOF while parsing a string");
    q += 2;
  }
  char* buf = static_cast<char*>(doc.arena_.Allocate(static_cast<std::size_t>(q - start), 1));
  std::size_t prefix = static_cast<std::size_t>(p - start);
  std::memcpy(buf, start, prefix);
  char* w = buf + prefix;
  while (true) {
    std::size_t n = internal::ScanString(p, q);
    std::memcpy(w, p, n);
    w += n;
    p += n;
    if (p == q) break;
    // *p == '\\': control characters were rejected above.
    char e = p[1];
    switch (e) {
      case '"':
        *w++ = '"';
        break;
      case '\\':
        *w++ = '\\';
        break;
      case '/':
        *w++ = '/';
        break;
      case 'b':
        *w++ = '\b';
        break;
      case 'f':
        *w++ = '\f';
        break;
      case 'n':
        *w++ = '\n';
        break;
      case 'r':
        *w++ = '\r';
        break;
      case 't':
        *w++ = '\t';
        break;
      case 'u': {
        std::uint32_t cp = 0;
        if (!Hex4(p + 2, q, &cp)) return fail(p, "invalid escape");
        p += 4;
        if (cp >= 0xDC00 && cp <= 0xDFFF) return fail(p, "lone trailing surrogate in hex escape");
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          std::uint32_t low = 0;
          if (q - (p + 2) < 6 || p[2] != '\\' || p[3] != 'u' || !Hex4(p + 4, q, &low) ||
              low < 0xDC00 || low > 0xDFFF) {
            return fail(p, "lone leading surrogate in hex escape");
          }
          p += 6;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        w = internal::AppendUtf8(w, cp);  // at most 4 bytes for 6 or 12 input bytes
        break;
      }
      default:
        return fail(p + 1, "invalid escape");
    }
    p += 2;
  }
  *out = buf;
  *out_size = static_cast<std::uint32_t>(w - buf);
  return q + 1;
}

namespace internal {

// Exactly the bytes of `w` that are zero, as 0x80 (no borrow between bytes, unlike ZeroBytes).
inline std::uint64_t ExactZeroBytes(std::uint64_t w) {
  constexpr std::uint64_t k7f = 0x7f7f7f7f7f7f7f7full;
  return ~(((w & k7f) + k7f) | w | k7f);
}
// One bit per byte (bit i for byte i) from a mask of 0x80 bytes.
inline std::uint64_t PackHighBits(std::uint64_t m) {
  return ((m >> 7) * 0x0102040810204080ull) >> 56;
}

}  // namespace internal

inline bool Parser::BuildTape(Document& doc, internal::OnDemandText& text, const char* open,
                              const char** reason, const char** at) {
  // 64 bytes at a time: bit masks of the quotes and the brackets; the bytes inside strings are
  // those after an odd number of quotes (a prefix XOR); the brackets outside strings are then
  // visited one by one. A block with a backslash is walked byte by byte instead (escaped
  // quotes), which JSON from Kubernetes rarely needs.
  constexpr std::uint64_t kOnes = 0x0101010101010101ull;
  const char* const end = text.end;
  std::uint32_t stack[kMaxDepth];  // open containers, innermost last
  std::size_t depth = 0;
  // The entries, in the arena: sized for a container every 32 bytes, doubled when not enough
  // (the old array is left to the arena).
  std::uint32_t capacity = static_cast<std::uint32_t>((end - open) / 32 + 16), count = 0;
  auto* entries = static_cast<internal::TapeEntry*>(
      doc.arena_.Allocate(capacity * sizeof(internal::TapeEntry), alignof(internal::TapeEntry)));
  bool in_string = false, escaped = false;
  // 1: the outermost container closed at q; 0: go on; -1: error.
  const auto bracket = [&](const char* q) -> int {
    if ((*q | 0x20) == '{') {
      if (depth == kMaxDepth) {
        *reason = "recursion limit exceeded";
        *at = q;
        return -1;
      }
      if (count == capacity) {
        auto* grown = static_cast<internal::TapeEntry*>(doc.arena_.Allocate(
            2 * capacity * sizeof(internal::TapeEntry), alignof(internal::TapeEntry)));
        std::memcpy(grown, entries, capacity * sizeof(internal::TapeEntry));
        entries = grown;
        capacity *= 2;
      }
      entries[count] = {q, nullptr, 0};
      stack[depth++] = count++;
      return 0;
    }
    internal::TapeEntry* e = entries + stack[depth - 1];
    if (*e->open + 2 != *q) {  // '{' + 2 == '}', '[' + 2 == ']'
      *reason = *e->open == '{' ? "expected `,` or `}`" : "expected `,` or `]`";
      *at = q;
      return -1;
    }
    e->close = q;
    e->after = count;
    return --depth == 0 ? 1 : 0;
  };
  for (const char* block = open; block < end; block += 64) {
    const std::size_t n = end - block < 64 ? static_cast<std::size_t>(end - block) : 64;
    char padded[64];
    const char* bytes = block;
    if (n < 64) {
      std::memset(padded, ' ', sizeof padded);
      std::memcpy(padded, block, n);
      bytes = padded;
    }
    std::uint64_t quotes = 0, brackets = 0, backslashes = 0;
    for (int i = 0; i < 8; ++i) {
      const std::uint64_t w = internal::Load8(bytes + 8 * i);
      const std::uint64_t folded = w | (kOnes * 0x20);  // '[' ']' fold onto '{' '}'
      quotes |= internal::PackHighBits(internal::ExactZeroBytes(w ^ (kOnes * '"'))) << (8 * i);
      brackets |= internal::PackHighBits(internal::ExactZeroBytes(folded ^ (kOnes * '{')) |
                                         internal::ExactZeroBytes(folded ^ (kOnes * '}')))
                  << (8 * i);
      backslashes |= internal::ZeroBytes(w ^ (kOnes * '\\'));
    }
    if (backslashes == 0 && !escaped) {
      // Bit i: the parity of the quotes at 0..i (the SDK cannot share the host's
      // src/admission/json_text.cc, which scans the same way).
      std::uint64_t inside = quotes;
      for (int shift = 1; shift < 64; shift *= 2) inside ^= inside << shift;
      if (in_string) inside = ~inside;
      in_string = (inside >> 63) != 0;
      for (std::uint64_t b = brackets & ~inside; b != 0; b &= b - 1) {
        const std::size_t i = static_cast<std::size_t>(__builtin_ctzll(b));
        if (i >= n) break;
        const int r = bracket(block + i);
        if (r < 0) return false;
        if (r > 0) goto closed;
      }
      continue;
    }
    for (std::size_t i = 0; i < n; ++i) {
      const char c = block[i];
      if (escaped) {
        escaped = false;
      } else if (in_string) {
        if (c == '\\') escaped = true;
        if (c == '"') in_string = false;
      } else if (c == '"') {
        in_string = true;
      } else if ((c | 0x20) == '{' || (c | 0x20) == '}') {
        const int r = bracket(block + i);
        if (r < 0) return false;
        if (r > 0) goto closed;
      }
    }
  }
  if (in_string) {
    *reason = "EOF while parsing a string";
  } else {
    *reason = *entries[stack[depth - 1]].open == '{' ? "EOF while parsing an object"
                                                    : "EOF while parsing a list";
  }
  *at = end;
  return false;
closed:
  text.tape = entries;
  text.containers = count;
  return true;
}

inline bool Parser::ParseLevel(Value& c, const char** reason, const char** at) {
  const internal::OnDemandText& text = *c.lazy_text_;
  Document& doc = *text.doc;
  const internal::TapeEntry* const tape = text.tape;
  std::uint32_t next = c.size_ + 1;  // the tape index of the next nested container
  const char* const end = tape[c.size_].close;
  const bool object = c.type_ == Type::kObject;
  const char* p = SkipSpace(c.text_ + 1, end);
  c.flags_ &= static_cast<std::uint8_t>(~Value::kLazy);
  c.first_ = nullptr;
  c.last_ = nullptr;
  c.size_ = 0;
  if (p == end) return true;
  while (true) {
    Value* v = doc.New(Type::kNull);
    v->flags_ = Value::kAttached;
    if (object) {
      if (*p != '"') {
        *reason = "key must be a string";
        break;
      }
      p = ParseKey(doc, v, p, end, reason, at);
      if (p == nullptr) goto failed;
      p = SkipSpace(p, end);
      if (p == end || *p != ':') {
        *reason = "expected `:`";
        break;
      }
      p = SkipSpace(p + 1, end);
    }
    if (p == end) {
      *reason = "expected value";
      break;
    }
    if (*p == '{' || *p == '[') {
      // (The tape and this walk read strings alike, so the next container is this one; the
      // check keeps hostile bytes from ever indexing past the tape.)
      if (next >= text.containers || tape[next].open != p) {
        *reason = "expected value";
        break;
      }
      v->type_ = *p == '{' ? Type::kObject : Type::kArray;
      v->flags_ |= Value::kLazy;
      v->text_ = p;
      v->size_ = next;
      v->lazy_text_ = &text;
      p = tape[next].close + 1;
      next = tape[next].after;
    } else {
      p = ParseScalar(doc, v, p, end, reason, at);
      if (p == nullptr) goto failed;
    }
    c.LinkChild(v);
    p = SkipSpace(p, end);
    if (p == end) return true;
    if (*p != ',') {
      *reason = object ? "expected `,` or `}`" : "expected `,` or `]`";
      break;
    }
    p = SkipSpace(p + 1, end);
  }
  *at = p;
failed:
  c.first_ = nullptr;
  c.last_ = nullptr;
  c.size_ = 0;
  return false;
}

inline void Value::MaterializeSlow() const {
  // Values live in their document's arena and are never const objects: reading a lazy
  // container fills it in place.
  const internal::OnDemandText& text = *lazy_text_;
  const std::string_view read = LazyText();
  const char* reason;
  const char* at;
  Value& self = const_cast<Value&>(*this);
  if (Parser::ParseLevel(self, &reason, &at)) {
    self.source_ = text.doc->NewSourceText(read.data(), read.size());
    return;
  }
  std::string& error = text.doc->deferred_error_;
  if (error.empty()) Parser::Describe(error, text.begin, at, text.end, reason);  // the first one
}

inline Value* Document::ParseOnDemand(std::string_view text) {
  error_.clear();
  const char* begin = text.data();
  const char* end = begin + text.size();
  const char* open = Parser::SkipSpace(begin, end);
  if (open == end || (*open != '{' && *open != '[')) return Parse(text);  // nothing to defer
  auto* record = new (arena_.Allocate(sizeof(internal::OnDemandText)))
      internal::OnDemandText{this, begin, end, nullptr, 0};
  const char* reason;
  const char* at;
  if (!Parser::BuildTape(*this, *record, open, &reason, &at)) {
    Parser::Describe(error_, begin, at, end, reason);
    return nullptr;
  }
  Value* root = New(*open == '{' ? Type::kObject : Type::kArray);
  root->flags_ |= Value::kAttached | Value::kLazy;
  root->text_ = open;
  root->size_ = 0;
  root->lazy_text_ = record;
  if (const char* after = Parser::SkipSpace(record->tape[0].close + 1, end); after != end) {
    Parser::Describe(error_, begin, after, end, "trailing characters");
    return nullptr;
  }
  // The top level now, so that its errors are Parse()'s.
  if (!Parser::ParseLevel(*root, &reason, &at)) {
    Parser::Describe(error_, begin, at, end, reason);
    return nullptr;
  }
  root->source_ = NewSourceText(open, static_cast<std::size_t>(record->tape[0].close + 1 - open));
  return root;
}

inline Value* Parser::Fail(Document& doc, const char* begin, const char* at, const char* end,
                           const char* reason) {
  Describe(doc.error_, begin, at, end, reason);
  return nullptr;
}

inline void Parser::Describe(std::string& e, const char* begin, const char* at, const char* end,
                             const char* reason) {
  // Point at the offending byte, or at the last byte on EOF.
  if (at >= end) at = end > begin ? end - 1 : end;
  std::size_t line = 1;
  const char* line_start = begin;
  for (const char* c = begin; c < at; ++c) {
    if (*c == '\n') {
      ++line;
      line_start = c + 1;
    }
  }
  char l[24], col[24];
  e.assign(reason);
  e.append(" at line ").append(internal::FormatInt(static_cast<std::int64_t>(line), l));
  e.append(" column ")
      .append(internal::FormatInt(static_cast<std::int64_t>(at - line_start + 1), col));
}

inline Value* Document::Parse(std::string_view text) {
  error_.clear();
  return Parser::Run(*this, text.data(), text.data() + text.size());
}

inline std::optional<std::int64_t> Value::AsInt64() const {
  if (!IsInteger() || size_ == 0) return std::nullopt;
  const char* p = text_;
  const char* end = text_ + size_;
  bool negative = *p == '-';
  if (negative) ++p;
  std::uint64_t limit = negative ? 0x8000000000000000ull : 0x7FFFFFFFFFFFFFFFull;
  std::uint64_t n = 0;
  for (; p < end; ++p) {
    std::uint64_t d = static_cast<std::uint64_t>(*p - '0');
    if (n > (limit - d) / 10) return std::nullopt;
    n = n * 10 + d;
  }
  return negative ? static_cast<std::int64_t>(0 - n) : static_cast<std::int64_t>(n);
}

inline std::optional<std::uint64_t> Value::AsUint64() const {
  if (!IsInteger() || size_ == 0 || text_[0] == '-') return std::nullopt;
  std::uint64_t n = 0;
  for (std::uint32_t i = 0; i < size_; ++i) {
    std::uint64_t d = static_cast<std::uint64_t>(text_[i] - '0');
    if (n > (~0ull - d) / 10) return std::nullopt;
    n = n * 10 + d;
  }
  return n;
}

inline std::optional<double> Value::AsDouble() const {
  if (type_ != Type::kNumber) return std::nullopt;
  return ParseDecimal(std::string_view(text_, size_)).value;
}

inline const Value* Value::Find(std::string_view key) const {
  if (type_ != Type::kObject) return nullptr;
  Materialize();
  for (const Value* m = first_; m != nullptr; m = m->next_) {
    if (m->key_size_ == key.size() && internal::BytesEqual(m->key_, key.data(), key.size())) {
      return m;
    }
  }
  return nullptr;
}

inline const Value* Value::At(std::size_t index) const {
  if (type_ != Type::kArray) return nullptr;
  Materialize();
  if (index >= size_) return nullptr;
  const Value* e = first_;
  while (index-- > 0) e = e->next_;
  return e;
}

inline const Value* Value::Get(std::string_view path) const {
  const Value* v = this;
  std::size_t i = 0;
  if (!path.empty() && path[0] == '/') i = 1;
  if (i == path.size()) return v;
  while (v != nullptr) {
    std::size_t slash = path.find('/', i);
    std::string_view token =
        path.substr(i, slash == std::string_view::npos ? std::string_view::npos : slash - i);
    if (token.find('~') != std::string_view::npos) {
      // Rare: unescape RFC 6901 tokens into a temporary.
      std::string t;
      for (std::size_t k = 0; k < token.size(); ++k) {
        if (token[k] == '~' && k + 1 < token.size() &&
            (token[k + 1] == '0' || token[k + 1] == '1')) {
          t.push_back(token[k + 1] == '0' ? '~' : '/');
          ++k;
        } else {
          t.push_back(token[k]);
        }
      }
      v = v->Find(t);
    } else if (v->type_ == Type::kArray) {
      std::size_t index = 0;
      if (token.empty() || token.size() > 9) return nullptr;
      for (char c : token) {
        if (c < '0' || c > '9') return nullptr;
        index = index * 10 + static_cast<std::size_t>(c - '0');
      }
      v = v->At(index);
    } else {
      v = v->Find(token);
    }
    if (slash == std::string_view::npos) return v;
    i = slash + 1;
  }
  return nullptr;
}

inline bool Document::NeedsEscape(std::string_view s) {
  return internal::ScanString(s.data(), s.data() + s.size()) != s.size();
}

namespace internal {

// The escape sequence of byte `c` into `esc` (at least 6 bytes); returns its length, or 0 when
// `c` is written as it is.
inline std::size_t EscapeOf(char c, char* esc) {
  static constexpr char kHex[] = "0123456789abcdef";
  char named = 0;
  switch (c) {
    case '"':
      named = '"';
      break;
    case '\\':
      named = '\\';
      break;
    case '\b':
      named = 'b';
      break;
    case '\f':
      named = 'f';
      break;
    case '\n':
      named = 'n';
      break;
    case '\r':
      named = 'r';
      break;
    case '\t':
      named = 't';
      break;
    default:
      if (static_cast<unsigned char>(c) >= 0x20) return 0;
      esc[0] = '\\';
      esc[1] = 'u';
      esc[2] = '0';
      esc[3] = '0';
      esc[4] = kHex[(static_cast<unsigned char>(c) >> 4) & 0xF];
      esc[5] = kHex[static_cast<unsigned char>(c) & 0xF];
      return 6;
  }
  esc[0] = '\\';
  esc[1] = named;
  return 2;
}

// The length of `s` as a quoted JSON string.
inline std::size_t QuotedSize(std::string_view s) {
  std::size_t n = 2;
  const char* p = s.data();
  const char* end = p + s.size();
  while (true) {
    const std::size_t plain = ScanString(p, end);
    n += plain;
    p += plain;
    if (p == end) return n;
    char esc[6];
    n += EscapeOf(*p++, esc);
  }
}

// Writes `s` quoted at `out` (QuotedSize(s) bytes); returns the end.
inline char* WriteQuoted(char* out, std::string_view s) {
  *out++ = '"';
  const char* p = s.data();
  const char* end = p + s.size();
  while (true) {
    const std::size_t plain = ScanString(p, end);
    std::memcpy(out, p, plain);
    out += plain;
    p += plain;
    if (p == end) break;
    out += EscapeOf(*p++, out);
  }
  *out++ = '"';
  return out;
}

}  // namespace internal

inline void AppendQuoted(std::string& out, std::string_view s) {
  const std::size_t old = out.size(), n = internal::QuotedSize(s);
  out.resize_and_overwrite(old + n, [&](char* buf, std::size_t) {
    internal::WriteQuoted(buf + old, s);
    return old + n;
  });
}

// Whether an edit marked a place inside `text` (see Document::Touch): a few marks per document,
// looked through for each container on the way to an edit.
inline bool EditedWithin(const internal::SourceText& text) {
  for (const internal::EditMark* m = text.doc->edits_; m != nullptr; m = m->next) {
    if (m->at >= text.begin && m->at < text.begin + text.size) return true;
  }
  return false;
}

// Serialization is two passes over the tree, sizing and then writing through a pointer: one
// allocation, and no capacity check per byte (policies that mutate write back the whole object,
// and the per-character appends of a single pass took most of their time).
//
// With `as_read` (AppendJsonAsRead), the sizing pass also finds the containers that are as they
// were read, and flags them kAsRead for the writing pass, which copies their text: a parsed
// container with no edit mark inside its text at once, without looking into it; otherwise
// (and everywhere once a value was changed in place) bottom-up: parsed (source_ set), not
// touched since, and holding only such values. `*unchanged` tells the caller whether `value`
// is as it was read.
inline std::size_t SerializedSize(const Value& value, bool as_read, bool* unchanged) {
  *unchanged = (value.flags_ & Value::kEdited) == 0;
  switch (value.type_) {
    case Type::kNull:
      return 4;
    case Type::kBool:
      return value.size_ != 0 ? 4 : 5;
    case Type::kNumber:
      return value.size_;
    case Type::kString:
      return value.flags_ & Value::kTextVerbatim
                 ? value.size_ + 2
                 : internal::QuotedSize(std::string_view(value.text_, value.size_));
    case Type::kArray:
    case Type::kObject: {
      if (value.IsLazy()) return value.LazyText().size();  // written as it was read
      // Values live in their document's arena and are never const objects (as in
      // MaterializeSlow): the flag is the sizing pass's note to the writing pass.
      std::uint8_t& flags = const_cast<Value&>(value).flags_;
      if (as_read && value.source_ != nullptr && !internal::g_values_reset_in_place &&
          !EditedWithin(*value.source_)) {
        flags |= Value::kAsRead;  // see Document::Touch
        return value.source_->size;
      }
      const bool object = value.type_ == Type::kObject;
      std::size_t n = 2;
      bool members_unchanged = true;
      for (const Value* c = value.first_; c != nullptr; c = c->next_) {
        if (c != value.first_) ++n;
        if (object) {
          n += 1 + (c->flags_ & Value::kKeyVerbatim
                        ? c->key_size_ + 2
                        : internal::QuotedSize(std::string_view(c->key_, c->key_size_)));
        }
        bool member_unchanged;
        n += SerializedSize(*c, as_read, &member_unchanged);
        members_unchanged = members_unchanged && member_unchanged;
      }
      *unchanged = *unchanged && members_unchanged && value.source_ != nullptr;
      if (!as_read) return n;
      if (*unchanged) {
        flags |= Value::kAsRead;
        return value.source_->size;
      }
      flags &= static_cast<std::uint8_t>(~Value::kAsRead);
      return n;
    }
  }
  return 0;
}

// Writes `value` at `out` (the bytes SerializedSize(value, as_read, ...) just counted); returns
// the end.
inline char* WriteJson(char* out, const Value& value, bool as_read) {
  const auto copy = [&out](const char* p, std::size_t n) {
    // An empty string's data may be null, which memcpy must not see even for 0 bytes.
    if (n == 0) return;
    std::memcpy(out, p, n);
    out += n;
  };
  switch (value.type_) {
    case Type::kNull:
      copy("null", 4);
      break;
    case Type::kBool:
      if (value.size_ != 0) {
        copy("true", 4);
      } else {
        copy("false", 5);
      }
      break;
    case Type::kNumber:
      copy(value.text_, value.size_);
      break;
    case Type::kString:
      if (value.flags_ & Value::kTextVerbatim) {
        *out++ = '"';
        copy(value.text_, value.size_);
        *out++ = '"';
      } else {
        out = internal::WriteQuoted(out, std::string_view(value.text_, value.size_));
      }
      break;
    case Type::kArray:
    case Type::kObject: {
      if (value.IsLazy()) {
        copy(value.text_, value.LazyText().size());
        break;
      }
      if (as_read && (value.flags_ & Value::kAsRead)) {
        copy(value.source_->begin, value.source_->size);
        break;
      }
      const bool object = value.type_ == Type::kObject;
      *out++ = object ? '{' : '[';
      for (const Value* c = value.first_; c != nullptr; c = c->next_) {
        if (c != value.first_) *out++ = ',';
        if (object) {
          if (c->flags_ & Value::kKeyVerbatim) {
            *out++ = '"';
            copy(c->key_, c->key_size_);
            *out++ = '"';
          } else {
            out = internal::WriteQuoted(out, std::string_view(c->key_, c->key_size_));
          }
          *out++ = ':';
        }
        out = WriteJson(out, *c, as_read);
      }
      *out++ = object ? '}' : ']';
      break;
    }
  }
  return out;
}

namespace internal {
inline void AppendJson(std::string& out, const Value& value, bool as_read) {
  bool unchanged;
  const std::size_t old = out.size(), n = SerializedSize(value, as_read, &unchanged);
  out.resize_and_overwrite(old + n, [&](char* buf, std::size_t) {
    WriteJson(buf + old, value, as_read);
    return old + n;
  });
}
}  // namespace internal

inline void AppendJson(std::string& out, const Value& value) {
  internal::AppendJson(out, value, false);
}

inline void AppendJsonAsRead(std::string& out, const Value& value) {
  internal::AppendJson(out, value, true);
}

inline bool Equal(const Value& a, const Value& b) {
  if (a.type() != b.type()) return false;
  // Two unread containers of the same text are equal without reading them.
  if (a.IsLazy() && b.IsLazy() && a.LazyText() == b.LazyText()) return true;
  switch (a.type()) {
    case Type::kNull:
      return true;
    case Type::kBool:
      return *a.AsBool() == *b.AsBool();
    case Type::kString:
      return *a.AsString() == *b.AsString();
    case Type::kNumber: {
      if (a.NumberText() == b.NumberText()) return true;
      if (a.IsInteger() != b.IsInteger()) return false;
      if (a.IsInteger()) {
        auto ai = a.AsInt64(), bi = b.AsInt64();
        if (ai && bi) return *ai == *bi;
        auto au = a.AsUint64(), bu = b.AsUint64();
        return au && bu && *au == *bu;
      }
      return *a.AsDouble() == *b.AsDouble();
    }
    case Type::kArray: {
      if (a.size() != b.size()) return false;
      auto bi = b.begin();
      for (const Value& x : a) {
        if (!Equal(x, *bi)) return false;
        ++bi;
      }
      return true;
    }
    case Type::kObject: {
      if (a.size() != b.size()) return false;
      // Same keys in the same order (the common case, and the only one in which objects with
      // duplicate keys compare equal): member by member.
      bool same_order = true;
      auto bi = b.begin();
      for (const Value& m : a) {
        if (m.key() != bi->key()) {
          same_order = false;
          break;
        }
        ++bi;
      }
      if (same_order) {
        bi = b.begin();
        for (const Value& m : a) {
          if (!Equal(m, *bi)) return false;
          ++bi;
        }
        return true;
      }
      for (const Value& m : a) {
        const Value* o = b.Find(m.key());
        if (o == nullptr || !Equal(m, *o)) return false;
      }
      return true;
    }
  }
  return false;
}

inline Value* Document::Int(std::int64_t n) {
  char buf[24];
  return Number(internal::FormatInt(n, buf));
}

inline Value* Document::Uint(std::uint64_t n) {
  char buf[24];
  char* p = internal::FormatUint(n, buf + sizeof buf);
  return Number(std::string_view(p, static_cast<std::size_t>(buf + sizeof buf - p)));
}

inline Value* Document::Clone(const Value& v) {
  Value* c = New(v.type_);
  c->flags_ = v.flags_ & Value::kTextVerbatim;
  if (v.IsLazy()) {
    // Still text: the copy is read on demand too, by the document that owns that text.
    c->flags_ = Value::kLazy;
    c->text_ = v.text_;
    c->size_ = v.size_;
    c->lazy_text_ = v.lazy_text_;
    return c;
  }
  if (!v.IsContainer()) {
    c->text_ = v.text_;
    c->size_ = v.size_;
    return c;
  }
  for (const Value* child = v.first_; child != nullptr; child = child->next_) {
    Value* cc = Clone(*child);
    cc->key_ = child->key_;
    cc->key_size_ = child->key_size_;
    cc->flags_ |= (child->flags_ & Value::kKeyVerbatim);
    Attach(*c, cc);
  }
  return c;
}

inline bool Document::Attach(Value& container, Value* value) {
  container.Materialize();
  Touch(container);
  value->flags_ |= Value::kAttached;
  value->next_ = nullptr;
  container.LinkChild(value);
  return true;
}

inline Value* Document::Set(Value& object, std::string_view key, Value* value) {
  if (object.type_ != Type::kObject || value == nullptr || value == &object ||
      (value->flags_ & Value::kAttached)) {
    return nullptr;
  }
  object.Materialize();
  Value* prev = nullptr;
  for (Value* m = object.first_; m != nullptr; prev = m, m = m->next_) {
    if (m->key_size_ == key.size() && std::memcmp(m->key_, key.data(), key.size()) == 0) {
      value->key_ = m->key_;
      value->key_size_ = m->key_size_;
      value->flags_ |= (m->flags_ & Value::kKeyVerbatim) | Value::kAttached;
      value->next_ = m->next_;
      if (prev == nullptr) {
        object.first_ = value;
      } else {
        prev->next_ = value;
      }
      if (object.last_ == m) object.last_ = value;
      m->flags_ &= static_cast<std::uint8_t>(~Value::kAttached);
      m->next_ = nullptr;
      Touch(object);
      return value;
    }
  }
  return Insert(object, object.size_, key, value);
}

inline Value* Document::Insert(Value& object, std::size_t index, std::string_view key,
                               Value* value) {
  if (object.type_ != Type::kObject || value == nullptr || value == &object ||
      (value->flags_ & Value::kAttached)) {
    return nullptr;
  }
  object.Materialize();
  value->key_ = arena_.CopyString(key);
  value->key_size_ = static_cast<std::uint32_t>(key.size());
  if (!NeedsEscape(key)) value->flags_ |= Value::kKeyVerbatim;
  if (index >= object.size_) {
    Attach(object, value);
    return value;
  }
  value->flags_ |= Value::kAttached;
  if (index == 0) {
    value->next_ = object.first_;
    object.first_ = value;
  } else {
    Value* prev = object.first_;
    while (--index > 0) prev = prev->next_;
    value->next_ = prev->next_;
    prev->next_ = value;
  }
  ++object.size_;
  Touch(object);
  return value;
}

inline Value* Document::GetOrAddObject(Value& object, std::string_view key) {
  if (object.type_ != Type::kObject) return nullptr;
  Value* m = object.Find(key);
  if (m != nullptr && m->IsObject()) return m;
  if (m != nullptr && !m->IsNull()) return nullptr;
  return Set(object, key, Object());
}

inline Value* Document::GetOrAddArray(Value& object, std::string_view key) {
  if (object.type_ != Type::kObject) return nullptr;
  Value* m = object.Find(key);
  if (m != nullptr && m->IsArray()) return m;
  if (m != nullptr && !m->IsNull()) return nullptr;
  return Set(object, key, Array());
}

inline bool Document::Erase(Value& object, std::string_view key) {
  if (object.type_ != Type::kObject) return false;
  object.Materialize();
  Value* prev = nullptr;
  for (Value* m = object.first_; m != nullptr; prev = m, m = m->next_) {
    if (m->key_size_ == key.size() && std::memcmp(m->key_, key.data(), key.size()) == 0) {
      if (prev == nullptr) {
        object.first_ = m->next_;
      } else {
        prev->next_ = m->next_;
      }
      if (object.last_ == m) object.last_ = prev;
      --object.size_;
      Touch(object);
      m->next_ = nullptr;
      m->flags_ &= static_cast<std::uint8_t>(~Value::kAttached);
      return true;
    }
  }
  return false;
}

inline Value* Document::PushBack(Value& array, Value* value) {
  if (array.type_ != Type::kArray || value == nullptr || value == &array ||
      (value->flags_ & Value::kAttached)) {
    return nullptr;
  }
  Attach(array, value);
  return value;
}

inline bool Document::EraseAt(Value& array, std::size_t index) {
  if (array.type_ != Type::kArray) return false;
  array.Materialize();
  if (index >= array.size_) return false;
  Value* prev = nullptr;
  Value* e = array.first_;
  for (std::size_t i = 0; i < index; ++i) {
    prev = e;
    e = e->next_;
  }
  if (prev == nullptr) {
    array.first_ = e->next_;
  } else {
    prev->next_ = e->next_;
  }
  if (array.last_ == e) array.last_ = prev;
  --array.size_;
  Touch(array);
  e->next_ = nullptr;
  e->flags_ &= static_cast<std::uint8_t>(~Value::kAttached);
  return true;
}

inline Writer& Writer::Int(std::int64_t n) {
  char buf[24];
  return Raw(internal::FormatInt(n, buf));
}

inline Writer& Writer::Uint(std::uint64_t n) {
  char buf[24];
  char* p = internal::FormatUint(n, buf + sizeof buf);
  return Raw(std::string_view(p, static_cast<std::size_t>(buf + sizeof buf - p)));
}

}  // namespace kubewarden::json

#endif  // KUBEWARDEN_JSON_H_
