// Types as text: cel-go's names (FormatType) and the signature syntax of overloads.
#include <cctype>

#include "cel/checker.h"
#include "cel/libraries.h"

namespace kw::cel {
namespace {

using K = Type::Kind;

struct Named {
  const char* name;
  K kind;
};
constexpr Named kPrimitives[] = {
    {"dyn", K::kDyn},       {"null_type", K::kNull},   {"bool", K::kBool},
    {"int", K::kInt},       {"uint", K::kUint},        {"double", K::kDouble},
    {"string", K::kString}, {"bytes", K::kBytes},      {"google.protobuf.Timestamp", K::kTimestamp},
    {"google.protobuf.Duration", K::kDuration},        {"timestamp", K::kTimestamp},
    {"duration", K::kDuration}, {"!error!", K::kError},
};

class TypeParser {
 public:
  explicit TypeParser(std::string_view text) : text_(text) {}

  std::expected<Type, std::string> ParseType(int depth = 0) {
    if (depth > 32) return Fail("type nested too deeply");
    SkipSpaces();
    std::size_t start = pos_;
    while (pos_ < text_.size() &&
           (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_' || text_[pos_] == '.' ||
            text_[pos_] == '!'))
      ++pos_;
    std::string name(text_.substr(start, pos_ - start));
    if (name.empty()) return Fail("type name expected");
    std::vector<Type> params;
    SkipSpaces();
    if (Accept('(')) {
      for (;;) {
        auto t = ParseType(depth + 1);
        if (!t) return t;
        params.push_back(std::move(*t));
        SkipSpaces();
        if (Accept(')')) break;
        if (!Accept(',')) return Fail("',' or ')' expected");
      }
    }
    auto arity = [&](std::size_t n) -> std::expected<void, std::string> {
      if (params.size() != n) return std::unexpected("type '" + name + "' takes " + std::to_string(n) + " parameter(s)");
      return {};
    };
    if (name == "list") {
      if (auto a = arity(1); !a) return std::unexpected(a.error());
      return Type::List(std::move(params[0]));
    }
    if (name == "map") {
      if (auto a = arity(2); !a) return std::unexpected(a.error());
      return Type::Map(std::move(params[0]), std::move(params[1]));
    }
    if (name == "type") {
      if (auto a = arity(1); !a) return std::unexpected(a.error());
      return Type::TypeOf(std::move(params[0]));
    }
    for (const Named& p : kPrimitives) {
      if (name != p.name) continue;
      if (auto a = arity(0); !a) return std::unexpected(a.error());
      return Type::Of(p.kind);
    }
    bool is_param = std::isupper(static_cast<unsigned char>(name[0])) && params.empty();
    for (std::size_t i = 1; i < name.size() && is_param; ++i)
      is_param = std::isdigit(static_cast<unsigned char>(name[i]));
    if (is_param) return Type::Param(name);
    return Type::Opaque(name, std::move(params));
  }

  std::expected<Signature, std::string> ParseSignature() {
    Signature sig;
    SkipSpaces();
    if (!Accept('(')) return Fail("'(' expected");
    SkipSpaces();
    if (!Accept(')')) {
      for (;;) {
        auto t = ParseType();
        if (!t) return std::unexpected(t.error());
        sig.params.push_back(std::move(*t));
        SkipSpaces();
        if (Accept(')')) break;
        if (!Accept(',')) return Fail("',' or ')' expected");
      }
    }
    SkipSpaces();
    if (!Accept('-') || !Accept('>')) return Fail("'->' expected");
    auto result = ParseType();
    if (!result) return std::unexpected(result.error());
    sig.result = std::move(*result);
    if (auto end = End(); !end) return std::unexpected(end.error());
    return sig;
  }

  std::expected<void, std::string> End() {
    SkipSpaces();
    if (pos_ != text_.size()) return Fail("unexpected text");
    return {};
  }

 private:
  void SkipSpaces() {
    while (pos_ < text_.size() && text_[pos_] == ' ') ++pos_;
  }
  bool Accept(char c) {
    if (pos_ >= text_.size() || text_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  std::unexpected<std::string> Fail(std::string_view what) const {
    return std::unexpected("invalid type '" + std::string(text_) + "': " + std::string(what) + " at offset " +
                           std::to_string(pos_));
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

std::string FormatType(const Type& type) {
  auto joined = [&] {
    std::string out;
    for (std::size_t i = 0; i < type.params.size(); ++i) out += (i ? ", " : "") + FormatType(type.params[i]);
    return out;
  };
  switch (type.kind) {
    case K::kList: return "list(" + joined() + ")";
    case K::kMap: return "map(" + joined() + ")";
    case K::kType: return type.params.empty() ? "type" : "type(" + joined() + ")";
    case K::kOpaque:
    case K::kParam: return type.params.empty() ? type.name : type.name + "(" + joined() + ")";
    default:
      for (const Named& p : kPrimitives)
        if (p.kind == type.kind) return p.name;
      return "dyn";
  }
}

std::expected<Type, std::string> ParseType(std::string_view text) {
  TypeParser parser(text);
  auto t = parser.ParseType();
  if (!t) return t;
  if (auto end = parser.End(); !end) return std::unexpected(end.error());
  return t;
}

std::expected<Signature, std::string> ParseSignature(std::string_view text) { return TypeParser(text).ParseSignature(); }

namespace {

// The value kind an argument of type `t` has at evaluation (nullopt: any).
std::optional<Kind> KindOf(const Type& t) {
  switch (t.kind) {
    case K::kNull: return Kind::kNull;
    case K::kBool: return Kind::kBool;
    case K::kInt: return Kind::kInt;
    case K::kUint: return Kind::kUint;
    case K::kDouble: return Kind::kDouble;
    case K::kString: return Kind::kString;
    case K::kBytes: return Kind::kBytes;
    case K::kList: return Kind::kList;
    case K::kMap: return Kind::kMap;
    case K::kTimestamp: return Kind::kTimestamp;
    case K::kDuration: return Kind::kDuration;
    case K::kType: return Kind::kType;
    case K::kOpaque: return Kind::kOpaque;
    case K::kDyn:
    case K::kError:
    case K::kParam: return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

void AddOverload(FunctionRegistry& registry, std::string name, bool receiver, std::string_view signature,
                 FunctionImpl impl) {
  Overload o;
  o.receiver = receiver;
  o.signature = std::string(signature);
  if (auto sig = ParseSignature(signature)) {
    for (const Type& t : sig->params) {
      o.params.push_back(KindOf(t));
      o.opaque_types.push_back(t.kind == K::kOpaque ? t.name : std::string());
    }
  }
  o.impl = std::move(impl);
  registry.Add(std::move(name), std::move(o));
}

}  // namespace kw::cel
