// JMESPath lexer and top-down operator-precedence parser, with the binding powers of the
// JMESPath grammar (pipe < or < and < comparators < flatten < star < filter < dot < not <
// lbrace < lbracket < lparen).
#include <charconv>
#include <string>
#include <string_view>
#include <vector>

#include "jmespath.h"
#include "jmespath_ast.h"

namespace kyverno::jmespath {
namespace {

enum class Tok {
  kEof, kIdentifier, kQuotedIdentifier, kLiteral, kNumber, kDot, kStar, kFlatten, kFilter,
  kLbracket, kRbracket, kLbrace, kRbrace, kLparen, kRparen, kComma, kColon, kPipe, kOr, kAnd,
  kNot, kEq, kNe, kLt, kLe, kGt, kGe, kCurrent, kExpref,
};

struct Token {
  Tok type;
  std::string text;  // identifier name, raw string, number text
  Value literal;
  std::size_t pos;
};

int BindingPower(Tok t) {
  switch (t) {
    case Tok::kPipe: return 1;
    case Tok::kOr: return 2;
    case Tok::kAnd: return 3;
    case Tok::kEq: case Tok::kNe: case Tok::kLt: case Tok::kLe: case Tok::kGt: case Tok::kGe:
      return 5;
    case Tok::kFlatten: return 9;
    case Tok::kStar: return 20;
    case Tok::kFilter: return 21;
    case Tok::kDot: return 40;
    case Tok::kNot: return 45;
    case Tok::kLbrace: return 50;
    case Tok::kLbracket: return 55;
    case Tok::kLparen: return 60;
    default: return 0;
  }
}

bool IsIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || (c >= '0' && c <= '9'); }

class Lexer {
 public:
  explicit Lexer(std::string_view text) : s_(text) {}

  bool Run(std::vector<Token>* out, std::string* error) {
    while (true) {
      while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
      if (i_ >= s_.size()) break;
      std::size_t start = i_;
      char c = s_[i_];
      Token t{Tok::kEof, "", Value(), start};
      if (IsIdentStart(c)) {
        while (i_ < s_.size() && IsIdentChar(s_[i_])) ++i_;
        t.type = Tok::kIdentifier;
        t.text = std::string(s_.substr(start, i_ - start));
      } else if (c == '"') {
        std::size_t end = QuotedEnd('"');
        if (end == std::string_view::npos) return Fail(error, "unclosed delimiter \"");
        Value v;
        std::string err;
        if (!ParseJson(s_.substr(start, end + 1 - start), &v, &err) || !v.is_string()) {
          return Fail(error, "invalid quoted identifier");
        }
        t.type = Tok::kQuotedIdentifier;
        t.text = v.as_string();
        i_ = end + 1;
      } else if (c == '\'') {
        std::size_t end = QuotedEnd('\'');
        if (end == std::string_view::npos) return Fail(error, "unclosed delimiter '");
        std::string raw;
        for (std::size_t k = start + 1; k < end; ++k) {
          if (s_[k] == '\\' && k + 1 < end && (s_[k + 1] == '\'' || s_[k + 1] == '\\')) ++k;
          raw += s_[k];
        }
        t.type = Tok::kLiteral;
        t.literal = Value(std::move(raw));
        i_ = end + 1;
      } else if (c == '`') {
        std::size_t end = QuotedEnd('`');
        if (end == std::string_view::npos) return Fail(error, "unclosed delimiter `");
        std::string body;
        for (std::size_t k = start + 1; k < end; ++k) {
          if (s_[k] == '\\' && k + 1 < end && s_[k + 1] == '`') ++k;
          body += s_[k];
        }
        Value v;
        std::string err;
        if (!ParseJson(body, &v, &err)) return Fail(error, "invalid literal: " + body);
        t.type = Tok::kLiteral;
        t.literal = std::move(v);
        i_ = end + 1;
      } else if ((c >= '0' && c <= '9') || c == '-') {
        ++i_;
        while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
        t.type = Tok::kNumber;
        t.text = std::string(s_.substr(start, i_ - start));
        if (t.text == "-") return Fail(error, "invalid number");
      } else {
        ++i_;
        auto next = [&](char n) {
          if (i_ < s_.size() && s_[i_] == n) {
            ++i_;
            return true;
          }
          return false;
        };
        switch (c) {
          case '.': t.type = Tok::kDot; break;
          case '*': t.type = Tok::kStar; break;
          case ',': t.type = Tok::kComma; break;
          case ':': t.type = Tok::kColon; break;
          case '{': t.type = Tok::kLbrace; break;
          case '}': t.type = Tok::kRbrace; break;
          case ']': t.type = Tok::kRbracket; break;
          case '(': t.type = Tok::kLparen; break;
          case ')': t.type = Tok::kRparen; break;
          case '@': t.type = Tok::kCurrent; break;
          case '[':
            t.type = next(']') ? Tok::kFlatten : next('?') ? Tok::kFilter : Tok::kLbracket;
            break;
          case '|': t.type = next('|') ? Tok::kOr : Tok::kPipe; break;
          case '&': t.type = next('&') ? Tok::kAnd : Tok::kExpref; break;
          case '!': t.type = next('=') ? Tok::kNe : Tok::kNot; break;
          case '<': t.type = next('=') ? Tok::kLe : Tok::kLt; break;
          case '>': t.type = next('=') ? Tok::kGe : Tok::kGt; break;
          case '=':
            if (!next('=')) return Fail(error, "unknown char '='");
            t.type = Tok::kEq;
            break;
          default:
            return Fail(error, std::string("unknown char '") + c + "'");
        }
      }
      out->push_back(std::move(t));
    }
    out->push_back(Token{Tok::kEof, "", Value(), s_.size()});
    return true;
  }

 private:
  std::size_t QuotedEnd(char quote) const {
    for (std::size_t k = i_ + 1; k < s_.size(); ++k) {
      if (s_[k] == '\\') {
        ++k;
      } else if (s_[k] == quote) {
        return k;
      }
    }
    return std::string_view::npos;
  }
  bool Fail(std::string* error, std::string message) {
    *error = "SyntaxError: " + message + " at position " + std::to_string(i_);
    return false;
  }
  std::string_view s_;
  std::size_t i_ = 0;
};

using NodePtr = std::unique_ptr<Node>;

NodePtr Make(NodeKind kind) {
  auto n = std::make_unique<Node>();
  n->kind = kind;
  return n;
}

NodePtr Make(NodeKind kind, NodePtr a, NodePtr b = nullptr) {
  NodePtr n = Make(kind);
  n->children.push_back(std::move(a));
  if (b) n->children.push_back(std::move(b));
  return n;
}

class Parser {
 public:
  Parser(std::vector<Token> tokens, std::string* error) : t_(std::move(tokens)), error_(error) {}

  NodePtr ParseAll() {
    NodePtr n = Expression(0);
    if (!n) return nullptr;
    if (Peek() != Tok::kEof) return Fail("unexpected token after the expression");
    return n;
  }

 private:
  Tok Peek(std::size_t ahead = 0) const {
    std::size_t k = p_ + ahead;
    return k < t_.size() ? t_[k].type : Tok::kEof;
  }
  const Token& Current() const { return t_[p_]; }
  void Advance() {
    if (p_ + 1 < t_.size()) ++p_;
  }
  NodePtr Fail(std::string_view message) {
    if (error_->empty()) {
      *error_ = "SyntaxError: " + std::string(message) + " at position " + std::to_string(Current().pos);
    }
    return nullptr;
  }
  bool Expect(Tok type, std::string_view what) {
    if (Peek() != type) {
      Fail(std::string("expected ") + std::string(what));
      return false;
    }
    Advance();
    return true;
  }

  NodePtr Expression(int bp) {
    if (++depth_ > kMaxDepth) return Fail("expression nests too deeply");
    const Token token = Current();
    Advance();
    NodePtr left = Nud(token);
    while (left && bp < BindingPower(Peek())) {
      const Token op = Current();
      Advance();
      left = Led(op, std::move(left));
    }
    --depth_;
    return left;
  }

  NodePtr Nud(const Token& token) {
    switch (token.type) {
      case Tok::kLiteral: {
        NodePtr n = Make(NodeKind::kLiteral);
        n->literal = token.literal;
        return n;
      }
      case Tok::kIdentifier: {
        NodePtr n = Make(NodeKind::kField);
        n->name = token.text;
        return n;
      }
      case Tok::kQuotedIdentifier: {
        if (Peek() == Tok::kLparen) return Fail("quoted identifier not allowed for function names");
        NodePtr n = Make(NodeKind::kField);
        n->name = token.text;
        return n;
      }
      case Tok::kStar: {
        NodePtr right = ProjectionRhs(BindingPower(Tok::kStar));
        if (!right) return nullptr;
        return Make(NodeKind::kValueProjection, Make(NodeKind::kIdentity), std::move(right));
      }
      case Tok::kFilter: return FilterRest(Make(NodeKind::kIdentity));
      case Tok::kLbrace: return MultiSelectHash();
      case Tok::kLparen: {
        NodePtr n = Expression(0);
        if (!n || !Expect(Tok::kRparen, "')'")) return nullptr;
        return n;
      }
      case Tok::kFlatten: {
        NodePtr left = Make(NodeKind::kFlatten, Make(NodeKind::kIdentity));
        NodePtr right = ProjectionRhs(BindingPower(Tok::kFlatten));
        if (!right) return nullptr;
        return Make(NodeKind::kProjection, std::move(left), std::move(right));
      }
      case Tok::kNot: {
        NodePtr operand = Expression(BindingPower(Tok::kNot));
        if (!operand) return nullptr;
        return Make(NodeKind::kNot, std::move(operand));
      }
      case Tok::kLbracket: {
        if (Peek() == Tok::kNumber || Peek() == Tok::kColon) {
          NodePtr index = IndexExpression();
          if (!index) return nullptr;
          return ProjectIfSlice(Make(NodeKind::kIdentity), std::move(index));
        }
        if (Peek() == Tok::kStar && Peek(1) == Tok::kRbracket) {
          Advance();
          Advance();
          NodePtr right = ProjectionRhs(BindingPower(Tok::kStar));
          if (!right) return nullptr;
          return Make(NodeKind::kProjection, Make(NodeKind::kIdentity), std::move(right));
        }
        return MultiSelectList();
      }
      case Tok::kCurrent: return Make(NodeKind::kIdentity);
      case Tok::kExpref: {
        NodePtr operand = Expression(BindingPower(Tok::kExpref));
        if (!operand) return nullptr;
        return Make(NodeKind::kExpref, std::move(operand));
      }
      case Tok::kEof: return Fail("incomplete expression");
      default: return Fail("unexpected token");
    }
  }

  NodePtr Led(const Token& op, NodePtr left) {
    switch (op.type) {
      case Tok::kDot: {
        if (Peek() == Tok::kStar) {
          Advance();
          NodePtr right = ProjectionRhs(BindingPower(Tok::kDot));
          if (!right) return nullptr;
          return Make(NodeKind::kValueProjection, std::move(left), std::move(right));
        }
        NodePtr right = DotRhs(BindingPower(Tok::kDot));
        if (!right) return nullptr;
        return Make(NodeKind::kSubexpression, std::move(left), std::move(right));
      }
      case Tok::kPipe:
      case Tok::kOr:
      case Tok::kAnd: {
        NodePtr right = Expression(BindingPower(op.type));
        if (!right) return nullptr;
        NodeKind kind = op.type == Tok::kPipe ? NodeKind::kPipe : op.type == Tok::kOr ? NodeKind::kOr : NodeKind::kAnd;
        return Make(kind, std::move(left), std::move(right));
      }
      case Tok::kLparen: {
        if (left->kind != NodeKind::kField) return Fail("invalid function name");
        NodePtr call = Make(NodeKind::kFunction);
        call->name = left->name;
        while (Peek() != Tok::kRparen) {
          NodePtr arg = Expression(0);
          if (!arg) return nullptr;
          call->children.push_back(std::move(arg));
          if (Peek() == Tok::kComma) {
            Advance();
            if (Peek() == Tok::kRparen) return Fail("expected an argument");
          } else if (Peek() != Tok::kRparen) {
            return Fail("expected ',' or ')'");
          }
        }
        Advance();
        return call;
      }
      case Tok::kFilter: return FilterRest(std::move(left));
      case Tok::kFlatten: {
        NodePtr flat = Make(NodeKind::kFlatten, std::move(left));
        NodePtr right = ProjectionRhs(BindingPower(Tok::kFlatten));
        if (!right) return nullptr;
        return Make(NodeKind::kProjection, std::move(flat), std::move(right));
      }
      case Tok::kEq: case Tok::kNe: case Tok::kLt: case Tok::kLe: case Tok::kGt: case Tok::kGe: {
        NodePtr right = Expression(BindingPower(op.type));
        if (!right) return nullptr;
        NodePtr n = Make(NodeKind::kComparator, std::move(left), std::move(right));
        n->comparator = op.type == Tok::kEq ? Comparator::kEq
                        : op.type == Tok::kNe ? Comparator::kNe
                        : op.type == Tok::kLt ? Comparator::kLt
                        : op.type == Tok::kLe ? Comparator::kLe
                        : op.type == Tok::kGt ? Comparator::kGt
                                              : Comparator::kGe;
        return n;
      }
      case Tok::kLbracket: {
        if (Peek() == Tok::kNumber || Peek() == Tok::kColon) {
          NodePtr index = IndexExpression();
          if (!index) return nullptr;
          return ProjectIfSlice(std::move(left), std::move(index));
        }
        if (!Expect(Tok::kStar, "'*' or a number") || !Expect(Tok::kRbracket, "']'")) return nullptr;
        NodePtr right = ProjectionRhs(BindingPower(Tok::kStar));
        if (!right) return nullptr;
        return Make(NodeKind::kProjection, std::move(left), std::move(right));
      }
      default: return Fail("unexpected token");
    }
  }

  NodePtr FilterRest(NodePtr left) {
    NodePtr condition = Expression(0);
    if (!condition || !Expect(Tok::kRbracket, "']'")) return nullptr;
    NodePtr right = Peek() == Tok::kFlatten ? Make(NodeKind::kIdentity) : ProjectionRhs(BindingPower(Tok::kFilter));
    if (!right) return nullptr;
    NodePtr n = Make(NodeKind::kFilterProjection, std::move(left), std::move(right));
    n->children.push_back(std::move(condition));
    return n;
  }

  // After '[': a number, or a slice start:stop:step (each part optional).
  NodePtr IndexExpression() {
    std::optional<int> parts[3];
    int part = 0;
    bool is_slice = false;
    while (Peek() != Tok::kRbracket) {
      if (Peek() == Tok::kColon) {
        if (++part > 2) return Fail("too many colons in slice");
        is_slice = true;
        Advance();
      } else if (Peek() == Tok::kNumber) {
        if (parts[part]) return Fail("unexpected number");
        int n = 0;
        const std::string& text = Current().text;
        auto r = std::from_chars(text.data(), text.data() + text.size(), n);
        if (r.ec != std::errc()) return Fail("number out of range");
        parts[part] = n;
        Advance();
      } else {
        return Fail("expected a number, ':' or ']'");
      }
    }
    Advance();
    if (!is_slice) {
      NodePtr n = Make(NodeKind::kIndex);
      n->index = *parts[0];
      return n;
    }
    if (parts[2] && *parts[2] == 0) return Fail("slice step cannot be 0");
    NodePtr n = Make(NodeKind::kSlice);
    for (int k = 0; k < 3; ++k) n->slice[k] = parts[k];
    return n;
  }

  NodePtr ProjectIfSlice(NodePtr left, NodePtr index) {
    bool slice = index->kind == NodeKind::kSlice;
    NodePtr expr = Make(NodeKind::kIndexExpression, std::move(left), std::move(index));
    if (!slice) return expr;
    NodePtr right = ProjectionRhs(BindingPower(Tok::kStar));
    if (!right) return nullptr;
    return Make(NodeKind::kProjection, std::move(expr), std::move(right));
  }

  NodePtr ProjectionRhs(int bp) {
    Tok next = Peek();
    if (BindingPower(next) < 10) return Make(NodeKind::kIdentity);
    if (next == Tok::kLbracket || next == Tok::kFilter) return Expression(bp);
    if (next == Tok::kDot) {
      Advance();
      return DotRhs(bp);
    }
    return Fail("syntax error after a projection");
  }

  NodePtr DotRhs(int bp) {
    Tok next = Peek();
    if (next == Tok::kIdentifier || next == Tok::kQuotedIdentifier || next == Tok::kStar) return Expression(bp);
    if (next == Tok::kLbracket) {
      Advance();
      return MultiSelectList();
    }
    if (next == Tok::kLbrace) {
      Advance();
      return MultiSelectHash();
    }
    return Fail("expected an identifier, '*', '[' or '{' after '.'");
  }

  NodePtr MultiSelectList() {
    NodePtr n = Make(NodeKind::kMultiSelectList);
    while (true) {
      NodePtr e = Expression(0);
      if (!e) return nullptr;
      n->children.push_back(std::move(e));
      if (Peek() == Tok::kRbracket) break;
      if (!Expect(Tok::kComma, "',' or ']'")) return nullptr;
    }
    Advance();
    return n;
  }

  NodePtr MultiSelectHash() {
    NodePtr n = Make(NodeKind::kMultiSelectHash);
    while (true) {
      if (Peek() != Tok::kIdentifier && Peek() != Tok::kQuotedIdentifier) return Fail("expected a key name");
      n->keys.push_back(Current().text);
      Advance();
      if (!Expect(Tok::kColon, "':'")) return nullptr;
      NodePtr e = Expression(0);
      if (!e) return nullptr;
      n->children.push_back(std::move(e));
      if (Peek() == Tok::kRbrace) break;
      if (!Expect(Tok::kComma, "',' or '}'")) return nullptr;
    }
    Advance();
    return n;
  }

  std::vector<Token> t_;
  std::size_t p_ = 0;
  int depth_ = 0;
  std::string* error_;
};

}  // namespace

std::optional<Expression> Expression::Parse(std::string_view text, std::string* error) {
  error->clear();
  if (text.size() > kMaxExpressionLength) {
    *error = "SyntaxError: expression too long";
    return std::nullopt;
  }
  std::vector<Token> tokens;
  if (!Lexer(text).Run(&tokens, error)) return std::nullopt;
  Parser parser(std::move(tokens), error);
  NodePtr root = parser.ParseAll();
  if (!root) return std::nullopt;
  return Expression(std::shared_ptr<const Node>(std::move(root)));
}

bool Search(std::string_view expression, const Value& data, Value* out, std::string* error) {
  std::optional<Expression> e = Expression::Parse(expression, error);
  return e && e->Evaluate(data, out, error);
}

}  // namespace kyverno::jmespath
