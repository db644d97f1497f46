#include "cel/parser.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <optional>
#include <utility>

#include "cel/text.h"

namespace kw::cel {
namespace {

enum class Tok : std::uint8_t { kEof, kIdent, kInt, kUint, kDouble, kString, kBytes, kPunct, kError };

struct Token {
  Tok kind = Tok::kEof;
  std::size_t pos = 0;
  std::string_view text;  // the source span
  std::string value;      // decoded string/bytes literal
};

constexpr std::array<std::string_view, 18> kReserved = {
    "as", "break", "const", "continue", "else", "for", "function", "if", "import",
    "let", "loop", "package", "namespace", "return", "var", "void", "while", "in"};

bool IsIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
int HexValue(char c) { return IsDigit(c) ? c - '0' : (c | 0x20) - 'a' + 10; }

class Lexer {
 public:
  explicit Lexer(std::string_view src) : src_(src) {}

  Token Next() {
    SkipSpace();
    Token t;
    t.pos = pos_;
    if (pos_ >= src_.size()) return t;
    char c = src_[pos_];
    std::size_t start = pos_;
    // String prefixes: r/R (raw), b/B (bytes), in either order.
    if (IsIdentStart(c)) {
      std::size_t p = pos_;
      bool raw = false, bytes = false;
      for (int i = 0; i < 2 && p < src_.size(); ++i) {
        char pc = src_[p] | 0x20;
        if (pc == 'r' && !raw) { raw = true; ++p; }
        else if (pc == 'b' && !bytes) { bytes = true; ++p; }
        else break;
      }
      if ((raw || bytes) && p < src_.size() && (src_[p] == '"' || src_[p] == '\'')) {
        pos_ = p;
        return LexString(start, raw, bytes);
      }
      while (pos_ < src_.size() && (IsIdentStart(src_[pos_]) || IsDigit(src_[pos_]))) ++pos_;
      t.kind = Tok::kIdent;
      t.text = src_.substr(start, pos_ - start);
      return t;
    }
    if (c == '"' || c == '\'') return LexString(start, false, false);
    if (IsDigit(c) || (c == '.' && pos_ + 1 < src_.size() && IsDigit(src_[pos_ + 1]))) return LexNumber();
    static constexpr std::string_view kTwo[] = {"==", "!=", "<=", ">=", "&&", "||"};
    for (auto op : kTwo) {
      if (src_.substr(pos_, 2) == op) {
        pos_ += 2;
        t.kind = Tok::kPunct;
        t.text = op;
        return t;
      }
    }
    if (std::string_view("<>!+-*/%?:.,[](){}").find(c) != std::string_view::npos) {
      ++pos_;
      t.kind = Tok::kPunct;
      t.text = src_.substr(start, 1);
      return t;
    }
    return Error(start, "token recognition error at: '" + std::string(src_.substr(start, 1)) + "'");
  }

  std::string_view source() const { return src_; }

 private:
  Token Error(std::size_t pos, std::string message) {
    Token t;
    t.kind = Tok::kError;
    t.pos = pos;
    t.value = std::move(message);
    pos_ = src_.size();
    return t;
  }

  void SkipSpace() {
    while (pos_ < src_.size()) {
      char c = src_[pos_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
        ++pos_;
      } else if (c == '/' && pos_ + 1 < src_.size() && src_[pos_ + 1] == '/') {
        while (pos_ < src_.size() && src_[pos_] != '\n') ++pos_;
      } else {
        break;
      }
    }
  }

  Token LexNumber() {
    std::size_t start = pos_;
    Token t;
    t.pos = start;
    if (src_[pos_] == '0' && pos_ + 1 < src_.size() && (src_[pos_ + 1] | 0x20) == 'x') {
      pos_ += 2;
      std::size_t digits = pos_;
      while (pos_ < src_.size() && IsHex(src_[pos_])) ++pos_;
      if (pos_ == digits) return Error(start, "token recognition error at: '" + std::string(src_.substr(start, pos_ - start)) + "'");
      t.kind = Tok::kInt;
    } else {
      while (pos_ < src_.size() && IsDigit(src_[pos_])) ++pos_;
      t.kind = Tok::kInt;
      if (pos_ + 1 < src_.size() && src_[pos_] == '.' && IsDigit(src_[pos_ + 1])) {
        ++pos_;
        while (pos_ < src_.size() && IsDigit(src_[pos_])) ++pos_;
        t.kind = Tok::kDouble;
      }
      if (pos_ < src_.size() && (src_[pos_] | 0x20) == 'e') {
        std::size_t p = pos_ + 1;
        if (p < src_.size() && (src_[p] == '+' || src_[p] == '-')) ++p;
        if (p < src_.size() && IsDigit(src_[p])) {
          while (p < src_.size() && IsDigit(src_[p])) ++p;
          pos_ = p;
          t.kind = Tok::kDouble;
        }
      }
    }
    if (t.kind == Tok::kInt && pos_ < src_.size() && (src_[pos_] | 0x20) == 'u') {
      ++pos_;
      t.kind = Tok::kUint;
    }
    t.text = src_.substr(start, pos_ - start);
    return t;
  }

  Token LexString(std::size_t start, bool raw, bool bytes) {
    char quote = src_[pos_];
    bool triple = src_.substr(pos_, 3) == std::string(3, quote);
    pos_ += triple ? 3 : 1;
    std::string out;
    auto unterminated = [&] { return Error(start, "token recognition error at: '" + std::string(src_.substr(start)) + "'"); };
    while (true) {
      if (pos_ >= src_.size()) return unterminated();
      char c = src_[pos_];
      if (triple ? src_.substr(pos_, 3) == std::string(3, quote) : c == quote) {
        pos_ += triple ? 3 : 1;
        break;
      }
      if (!triple && (c == '\n' || c == '\r')) return unterminated();
      if (c != '\\' || raw) {
        out += c;
        ++pos_;
        continue;
      }
      std::size_t esc = pos_;
      if (++pos_ >= src_.size()) return unterminated();
      char e = src_[pos_++];
      auto bad = [&] { return Error(esc, "token recognition error at: '" + std::string(src_.substr(esc, pos_ - esc)) + "'"); };
      switch (e) {
        case 'a': out += '\a'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'v': out += '\v'; break;
        case '\\': out += '\\'; break;
        case '\'': out += '\''; break;
        case '"': out += '"'; break;
        case '`': out += '`'; break;
        case '?': out += '?'; break;
        case 'x': case 'X': case 'u': case 'U': {
          int n = (e == 'x' || e == 'X') ? 2 : e == 'u' ? 4 : 8;
          std::uint32_t cp = 0;
          for (int i = 0; i < n; ++i) {
            if (pos_ >= src_.size() || !IsHex(src_[pos_])) return bad();
            cp = cp * 16 + HexValue(src_[pos_++]);
          }
          if (n == 2 && bytes) {
            out += static_cast<char>(cp);
          } else {
            if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return bad();
            AppendUtf8(out, cp);
          }
          break;
        }
        default:
          if (e >= '0' && e <= '3') {
            std::uint32_t v = e - '0';
            for (int i = 0; i < 2; ++i) {
              if (pos_ >= src_.size() || src_[pos_] < '0' || src_[pos_] > '7') return bad();
              v = v * 8 + (src_[pos_++] - '0');
            }
            if (bytes) out += static_cast<char>(v);
            else AppendUtf8(out, v);
            break;
          }
          return bad();
      }
    }
    Token t;
    t.kind = bytes ? Tok::kBytes : Tok::kString;
    t.pos = start;
    t.text = src_.substr(start, pos_ - start);
    if (!bytes && !IsValidUtf8(out)) return Error(start, "invalid UTF-8 in string literal");
    t.value = std::move(out);
    return t;
  }

  std::string_view src_;
  std::size_t pos_ = 0;
};

// What ANTLR lists after "mismatched input" where an operand was expected (cel-go's text).
constexpr std::string_view kPrimaryExpected =
    "{'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}";

class Parser {
 public:
  Parser(std::string_view src, const ParseOptions& options)
      : lexer_(src), options_(options), stack_(options.max_stack_bytes) {
    Advance();
  }

  std::expected<ExprPtr, std::string> Run() {
    ExprPtr e = ParseExpr();
    if (!failed_ && tok_.kind != Tok::kEof) Mismatch("<EOF>");
    if (failed_) return std::unexpected(FormatSourceError(lexer_.source(), error_pos_, error_));
    return e;
  }

 private:
  // --- Tokens and errors ---
  void Advance() { tok_ = lexer_.Next(); if (tok_.kind == Tok::kError) Fail(tok_.pos, "Syntax error: " + tok_.value); }
  bool IsPunct(std::string_view p) const { return tok_.kind == Tok::kPunct && tok_.text == p; }
  bool Accept(std::string_view p) {
    if (!IsPunct(p)) return false;
    Advance();
    return true;
  }
  [[gnu::noinline]] void Fail(std::size_t pos, std::string message) {
    if (failed_) return;
    failed_ = true;
    error_pos_ = pos;
    error_ = std::move(message);
  }
  std::string TokenText() const { return tok_.kind == Tok::kEof ? "<EOF>" : std::string(tok_.text); }
  [[gnu::noinline]] void Mismatch(std::string_view expecting = {}) {
    std::string m = "Syntax error: mismatched input '" + TokenText() + "'";
    if (!expecting.empty()) m += " expecting " + std::string(expecting);
    Fail(tok_.pos, std::move(m));
  }
  void Expect(std::string_view p) {
    if (!Accept(p)) Mismatch("'" + std::string(p) + "'");
  }

  // --- Node construction ---
  ExprPtr New(ExprKind kind, std::size_t pos) {
    auto e = std::make_unique<Expr>();
    e->id = ++next_id_;
    e->kind = kind;
    e->position = static_cast<std::int32_t>(pos);
    return e;
  }
  // Records the height of `e` from its children, failing when it exceeds the limit.
  [[gnu::noinline]] ExprPtr Finish(ExprPtr e) {
    std::int32_t h = 0;
    auto see = [&](const ExprPtr& c) { if (c) h = std::max(h, c->height); };
    see(e->operand);
    for (const auto& a : e->args) see(a);
    for (const auto& m : e->entries) { see(m.key); see(m.value); }
    see(e->iter_range); see(e->accu_init); see(e->loop_condition); see(e->loop_step); see(e->result);
    e->height = h + 1;
    if (e->height > options_.max_recursion_depth)
      Fail(e->position, "expression recursion limit exceeded: " + std::to_string(options_.max_recursion_depth));
    return e;
  }
  [[gnu::noinline]] ExprPtr Call(std::size_t pos, std::string_view name, std::vector<ExprPtr> args,
                                 ExprPtr target = nullptr) {
    ExprPtr e = New(ExprKind::kCall, pos);
    e->name = std::string(name);
    e->args = std::move(args);
    e->operand = std::move(target);
    return Finish(std::move(e));
  }
  [[gnu::noinline]] ExprPtr Unary(std::size_t pos, std::string_view name, ExprPtr a) {
    std::vector<ExprPtr> args;
    args.push_back(std::move(a));
    return Call(pos, name, std::move(args));
  }
  [[gnu::noinline]] ExprPtr Binary(std::size_t pos, std::string_view name, ExprPtr a, ExprPtr b) {
    std::vector<ExprPtr> args;
    args.push_back(std::move(a));
    args.push_back(std::move(b));
    return Call(pos, name, std::move(args));
  }
  ExprPtr Ident(std::size_t pos, std::string name) {
    ExprPtr e = New(ExprKind::kIdent, pos);
    e->name = std::move(name);
    return e;
  }
  ExprPtr Constant(std::size_t pos, Value v) {
    ExprPtr e = New(ExprKind::kConstant, pos);
    e->constant = std::move(v);
    return e;
  }
  // A placeholder after an error, so callers need no null checks.
  ExprPtr Bad() { return Constant(tok_.pos, Value::Null()); }

  // --- Grammar ---
  // The grammar recurses once per nesting level through ParseExpr .. ParsePrimary, so those
  // frames are kept small (the helpers above that build nodes are never inlined into them):
  // a wasm32 policy's stack must hold max_recursion_depth of them.
  struct DepthGuard {
    Parser& p;
    explicit DepthGuard(Parser& parser) : p(parser) { ++p.depth_; }
    ~DepthGuard() { --p.depth_; }
  };
  bool TooDeep() {
    if (depth_ > options_.max_recursion_depth) {
      Fail(tok_.pos, "expression recursion limit exceeded: " + std::to_string(options_.max_recursion_depth));
      return true;
    }
    if (stack_.Exhausted()) {
      Fail(tok_.pos, "expression recursion limit exceeded: nesting needs more than the stack budget of " +
                         std::to_string(options_.max_stack_bytes) + " bytes");
      return true;
    }
    return false;
  }

  ExprPtr ParseExpr() {
    DepthGuard guard(*this);
    if (TooDeep()) return Bad();
    ExprPtr cond = ParseLogical(true);
    if (failed_ || !IsPunct("?")) return cond;
    std::size_t pos = tok_.pos;
    Advance();
    ExprPtr a = ParseLogical(true);
    Expect(":");
    if (failed_) return Bad();
    ExprPtr b = ParseExpr();
    std::vector<ExprPtr> args;
    args.push_back(std::move(cond));
    args.push_back(std::move(a));
    args.push_back(std::move(b));
    return Call(pos, "_?_:_", std::move(args));
  }

  // `||` (or) and `&&` (!or) chains, balanced.
  ExprPtr ParseLogical(bool is_or) {
    std::string_view op = is_or ? "||" : "&&";
    std::vector<ExprPtr> terms;
    std::vector<std::size_t> positions;
    terms.push_back(is_or ? ParseLogical(false) : ParseBinary(1));
    while (!failed_ && IsPunct(op)) {
      positions.push_back(tok_.pos);
      Advance();
      terms.push_back(is_or ? ParseLogical(false) : ParseBinary(1));
    }
    if (failed_) return Bad();
    if (terms.size() == 1) return std::move(terms[0]);
    return Balance(is_or ? "_||_" : "_&&_", terms, positions, 0, terms.size() - 1);
  }
  [[gnu::noinline]] ExprPtr Balance(const std::string& fn, std::vector<ExprPtr>& terms, const std::vector<std::size_t>& positions,
                  std::size_t lo, std::size_t hi) {
    if (lo == hi) return std::move(terms[lo]);
    std::size_t mid = (lo + hi + 1) / 2;
    ExprPtr left = Balance(fn, terms, positions, lo, mid - 1);
    ExprPtr right = Balance(fn, terms, positions, mid, hi);
    return Binary(positions[mid - 1], fn, std::move(left), std::move(right));
  }

  // The binary operator at the current token with its precedence (relations 1, `+ -` 2,
  // `* / %` 3), or precedence 0.
  std::pair<const char*, int> BinaryOperator() const {
    if (tok_.kind == Tok::kIdent) return {tok_.text == "in" ? "@in" : nullptr, tok_.text == "in" ? 1 : 0};
    if (tok_.kind != Tok::kPunct) return {nullptr, 0};
    static constexpr std::pair<std::string_view, std::pair<const char*, int>> kOps[] = {
        {"==", {"_==_", 1}}, {"!=", {"_!=_", 1}}, {"<", {"_<_", 1}}, {"<=", {"_<=_", 1}},
        {">", {"_>_", 1}},   {">=", {"_>=_", 1}}, {"+", {"_+_", 2}}, {"-", {"_-_", 2}},
        {"*", {"_*_", 3}},   {"/", {"_/_", 3}},   {"%", {"_%_", 3}}};
    for (const auto& [text, op] : kOps)
      if (tok_.text == text) return op;
    return {nullptr, 0};
  }

  // Relations, additions and multiplications by precedence climbing, all left-associative:
  // one frame per nesting level instead of one per precedence level.
  ExprPtr ParseBinary(int min_precedence) {
    ExprPtr left = ParseUnary();
    while (!failed_) {
      auto [fn, precedence] = BinaryOperator();
      if (precedence < min_precedence || precedence == 0) break;
      std::size_t pos = tok_.pos;
      Advance();
      ExprPtr right = precedence == 3 ? ParseUnary() : ParseBinary(precedence + 1);
      left = Binary(pos, fn, std::move(left), std::move(right));
    }
    return left;
  }

  ExprPtr ParseUnary() {
    std::vector<std::pair<const char*, std::size_t>> ops;
    while (IsPunct("!") || IsPunct("-")) {
      ops.emplace_back(IsPunct("!") ? "!_" : "-_", tok_.pos);
      Advance();
    }
    ExprPtr e;
    // A minus right before a number is part of the literal (so -9223372036854775808 parses).
    if (!ops.empty() && ops.back().first[0] == '-' && (tok_.kind == Tok::kInt || tok_.kind == Tok::kDouble)) {
      std::size_t pos = ops.back().second;
      ops.pop_back();
      e = ParseMember(ParseNumber(true, pos));
    } else {
      e = ParseMember(ParsePrimary());
    }
    while (!ops.empty() && !failed_) {
      e = Unary(ops.back().second, ops.back().first, std::move(e));
      ops.pop_back();
    }
    return e;
  }

  [[gnu::noinline]] ExprPtr ParseNumber(bool negative, std::size_t pos) {
    Token t = tok_;
    Advance();
    std::string text(t.text);
    if (t.kind == Tok::kDouble) {
      double d = std::strtod(text.c_str(), nullptr);
      return Constant(pos, Value::Double(negative ? -d : d));
    }
    bool is_uint = t.kind == Tok::kUint;
    if (is_uint) text.pop_back();
    int base = 10;
    std::string digits = text;
    if (digits.size() > 2 && digits[0] == '0' && (digits[1] | 0x20) == 'x') {
      base = 16;
      digits = digits.substr(2);
    }
    unsigned __int128 v = 0;
    for (char c : digits) {
      v = v * base + HexValue(c);
      if (v > (static_cast<unsigned __int128>(1) << 64)) break;
    }
    if (is_uint) {
      if (v > UINT64_MAX) return Invalid(t.pos, "invalid uint literal");
      return Constant(pos, Value::Uint(static_cast<std::uint64_t>(v)));
    }
    if (negative) {
      if (v > static_cast<unsigned __int128>(INT64_MAX) + 1) return Invalid(t.pos, "invalid int literal");
      return Constant(pos, Value::Int(static_cast<std::int64_t>(0 - static_cast<std::uint64_t>(v))));
    }
    if (v > INT64_MAX) return Invalid(t.pos, "invalid int literal");
    return Constant(pos, Value::Int(static_cast<std::int64_t>(v)));
  }
  ExprPtr Invalid(std::size_t pos, std::string message) {
    Fail(pos, std::move(message));
    return Bad();
  }

  [[gnu::noinline]] ExprPtr ParseMember(ExprPtr e) {
    while (!failed_) {
      if (IsPunct(".")) {
        std::size_t pos = tok_.pos;
        Advance();
        bool optional = options_.enable_optional_syntax && Accept("?");
        // true, false, null and in are tokens of their own in cel-spec's lexer, not identifiers.
        if (tok_.kind != Tok::kIdent || tok_.text == "true" || tok_.text == "false" || tok_.text == "null" ||
            tok_.text == "in") {
          Mismatch("IDENTIFIER");
          return Bad();
        }
        std::string name(tok_.text);
        if (optional) {
          Advance();
          ExprPtr field = Constant(pos, Value::String(std::move(name)));
          e = Binary(pos, "_?._", std::move(e), std::move(field));
          continue;
        }
        // Reserved words are refused as identifiers only, not as field names (cel-go), so
        // object.metadata.namespace works.
        Advance();
        if (IsPunct("(")) {
          std::size_t call_pos = tok_.pos;
          Advance();
          std::vector<ExprPtr> args = ParseExprList(")");
          if (failed_) return Bad();
          e = ReceiverCall(call_pos, std::move(name), std::move(e), std::move(args));
        } else {
          ExprPtr s = New(ExprKind::kSelect, pos);
          s->name = std::move(name);
          s->operand = std::move(e);
          e = Finish(std::move(s));
        }
      } else if (IsPunct("[")) {
        std::size_t pos = tok_.pos;
        Advance();
        bool optional = options_.enable_optional_syntax && Accept("?");
        ExprPtr index = ParseExpr();
        Expect("]");
        if (failed_) return Bad();
        e = Binary(pos, optional ? "_[?_]" : "_[_]", std::move(e), std::move(index));
      } else if (IsPunct("{") && IsQualifiedName(*e)) {
        e = ParseStruct(std::move(e));
      } else {
        break;
      }
    }
    return e;
  }

  static bool IsQualifiedName(const Expr& e) {
    if (e.kind == ExprKind::kIdent) return true;
    return e.kind == ExprKind::kSelect && !e.test_only && IsQualifiedName(*e.operand);
  }
  static std::string QualifiedName(const Expr& e) {
    if (e.kind == ExprKind::kIdent) return e.name;
    return QualifiedName(*e.operand) + "." + e.name;
  }

  [[gnu::noinline]] ExprPtr ParseStruct(ExprPtr type) {
    ExprPtr s = New(ExprKind::kStruct, tok_.pos);
    s->name = QualifiedName(*type);
    Advance();  // {
    while (!failed_ && !IsPunct("}")) {
      MapEntry entry;
      entry.id = ++next_id_;
      entry.optional = AcceptOptionalMarker();
      if (tok_.kind != Tok::kIdent) {
        Mismatch("IDENTIFIER");
        break;
      }
      entry.field = std::string(tok_.text);
      Advance();
      Expect(":");
      entry.value = ParseExpr();
      s->entries.push_back(std::move(entry));
      if (!Accept(",")) break;
    }
    Expect("}");
    if (failed_) return Bad();
    return Finish(std::move(s));
  }

  bool AcceptOptionalMarker() { return options_.enable_optional_syntax && Accept("?"); }

  // Lists may end with a comma, call arguments may not (cel-spec's grammar). List elements
  // may be `?e` with the optional syntax (their indices go to `optional_indices`).
  std::vector<ExprPtr> ParseExprList(std::string_view close, bool trailing_comma = false,
                                     std::vector<std::int32_t>* optional_indices = nullptr) {
    std::vector<ExprPtr> list;
    while (!failed_ && (list.empty() || !trailing_comma || !IsPunct(close))) {
      if (list.empty() && IsPunct(close)) break;
      if (optional_indices != nullptr && AcceptOptionalMarker())
        optional_indices->push_back(static_cast<std::int32_t>(list.size()));
      list.push_back(ParseExpr());
      if (!Accept(",")) break;
    }
    Expect(close);
    return list;
  }

  static bool IsReserved(std::string_view name) {
    return std::find(kReserved.begin(), kReserved.end(), name) != kReserved.end();
  }

  [[gnu::noinline]] ExprPtr ParseList(std::size_t pos) {
    Advance();
    ExprPtr list = New(ExprKind::kList, pos);
    list->args = ParseExprList("]", true, &list->optional_indices);
    if (failed_) return Bad();
    return Finish(std::move(list));
  }

  [[gnu::noinline]] ExprPtr ParseMap(std::size_t pos) {
    Advance();
    ExprPtr map = New(ExprKind::kMap, pos);
    while (!failed_ && !IsPunct("}")) {
      MapEntry entry;
      entry.id = ++next_id_;
      entry.optional = AcceptOptionalMarker();
      entry.key = ParseExpr();
      Expect(":");
      entry.value = ParseExpr();
      map->entries.push_back(std::move(entry));
      if (!Accept(",")) break;
    }
    Expect("}");
    if (failed_) return Bad();
    return Finish(std::move(map));
  }

  [[gnu::noinline]] ExprPtr ParseIdentOrCall() {
    std::size_t pos = tok_.pos;
    std::string name(tok_.text);
    if (name == "true" || name == "false") {
      Advance();
      return Constant(pos, Value::Bool(name == "true"));
    }
    if (name == "null") {
      Advance();
      return Constant(pos, Value::Null());
    }
    if (IsReserved(name)) return Invalid(pos, "reserved identifier: " + name);
    Advance();
    if (IsPunct("(")) {
      std::size_t call_pos = tok_.pos;
      Advance();
      std::vector<ExprPtr> args = ParseExprList(")");
      if (failed_) return Bad();
      return GlobalCall(call_pos, std::move(name), std::move(args));
    }
    return Ident(pos, std::move(name));
  }

  [[gnu::noinline]] ExprPtr ParseLiteral() {
    std::size_t pos = tok_.pos;
    Value v = tok_.kind == Tok::kString ? Value::String(std::move(tok_.value)) : Value::Bytes(std::move(tok_.value));
    Advance();
    return Constant(pos, std::move(v));
  }

  ExprPtr ParsePrimary() {
    std::size_t pos = tok_.pos;
    switch (tok_.kind) {
      case Tok::kInt:
      case Tok::kDouble:
        return ParseNumber(false, pos);
      case Tok::kUint:
        return ParseNumber(false, pos);
      case Tok::kString:
      case Tok::kBytes:
        return ParseLiteral();
      case Tok::kIdent:
        return ParseIdentOrCall();
      case Tok::kPunct:
        if (IsPunct("(")) {
          Advance();
          ExprPtr e = ParseExpr();
          Expect(")");
          return e;
        }
        if (IsPunct("[")) return ParseList(pos);
        if (IsPunct("{")) return ParseMap(pos);
        if (IsPunct(".")) {
          // A leading dot names the root scope: `.a.b`. Resolved as `a.b`.
          Advance();
          if (tok_.kind != Tok::kIdent) {
            Mismatch("IDENTIFIER");
            return Bad();
          }
          return ParsePrimary();
        }
        Mismatch(kPrimaryExpected);
        return Bad();
      case Tok::kEof:
        Mismatch(kPrimaryExpected);
        return Bad();
      default:
        return Bad();
    }
  }

  // --- Macros ---
  [[gnu::noinline]] ExprPtr GlobalCall(std::size_t pos, std::string name, std::vector<ExprPtr> args) {
    if (name == "has" && args.size() == 1) {
      if (args[0]->kind != ExprKind::kSelect) return Invalid(args[0]->position, "invalid argument to has() macro");
      ExprPtr sel = std::move(args[0]);
      sel->test_only = true;
      return sel;
    }
    return Call(pos, std::move(name), std::move(args));
  }

  // cel.bind's form: `body` evaluated with `var` bound to `init` (a comprehension over an empty
  // list whose accumulator is the variable).
  [[gnu::noinline]] ExprPtr Bind(std::size_t pos, std::string var, ExprPtr init, ExprPtr body) {
    ExprPtr c = New(ExprKind::kComprehension, pos);
    c->iter_var = "#unused";
    c->iter_range = Finish(New(ExprKind::kList, pos));
    c->accu_var = var;
    c->accu_init = std::move(init);
    c->loop_condition = Constant(pos, Value::Bool(false));
    c->loop_step = Ident(pos, std::move(var));
    c->result = std::move(body);
    return Finish(std::move(c));
  }

  // cel-go's optional library macros: `o.optMap(x, e)` is `o.hasValue() ? optional.of(e with x
  // = o.value()) : optional.none()`, optFlatMap the same without optional.of. cel-go repeats
  // `o` in both branches; here it is bound once (the same result, evaluated once).
  [[gnu::noinline]] ExprPtr OptionalMap(std::size_t pos, const std::string& name, ExprPtr target,
                                        std::vector<ExprPtr> args) {
    if (args[0]->kind != ExprKind::kIdent)
      return Invalid(args[0]->position, name + "() variable name must be a simple identifier");
    const std::string var = args[0]->name;
    const char* kTarget = "@__optional_target__";
    ExprPtr value = Call(pos, "value", {}, Ident(pos, kTarget));
    ExprPtr mapped = Bind(pos, var, std::move(value), std::move(args[1]));
    if (name == "optMap") mapped = Unary(pos, "optional.of", std::move(mapped));
    std::vector<ExprPtr> branches;
    branches.push_back(Call(pos, "hasValue", {}, Ident(pos, kTarget)));
    branches.push_back(std::move(mapped));
    branches.push_back(Call(pos, "optional.none", {}));
    return Bind(pos, kTarget, std::move(target), Call(pos, "_?_:_", std::move(branches)));
  }

  // cel-go ext.Lists (version 2): `l.sortBy(x, key)` is `@sortByAssociatedKeys(l, l.map(x,
  // key))`, with `l` bound once.
  [[gnu::noinline]] ExprPtr SortBy(std::size_t pos, ExprPtr target, std::vector<ExprPtr> args) {
    if (args[0]->kind != ExprKind::kIdent)
      return Invalid(args[0]->position, "sortBy(var, ...) variable name must be a simple identifier");
    const char* kInput = "@__sortBy_input__";
    ExprPtr keys = New(ExprKind::kComprehension, pos);
    keys->iter_var = args[0]->name;
    keys->iter_range = Ident(pos, kInput);
    keys->accu_var = kAccumulatorName;
    keys->accu_init = Finish(New(ExprKind::kList, pos));
    keys->loop_condition = Constant(pos, Value::Bool(true));
    ExprPtr key_list = New(ExprKind::kList, pos);
    key_list->args.push_back(std::move(args[1]));
    keys->loop_step = Binary(pos, "_+_", Ident(pos, kAccumulatorName), Finish(std::move(key_list)));
    keys->result = Ident(pos, kAccumulatorName);
    ExprPtr sorted = Binary(pos, "@sortByAssociatedKeys", Ident(pos, kInput), Finish(std::move(keys)));
    return Bind(pos, kInput, std::move(target), std::move(sorted));
  }

  [[gnu::noinline]] ExprPtr ReceiverCall(std::size_t pos, std::string name, ExprPtr target, std::vector<ExprPtr> args) {
    bool two = args.size() == 2;
    if (two && name == "sortBy") return SortBy(pos, std::move(target), std::move(args));
    if (args.size() == 3 && name == "bind" && target->kind == ExprKind::kIdent && target->name == "cel") {
      // cel-go ext.Bindings: cel.bind(var, init, body).
      if (args[0]->kind != ExprKind::kIdent)
        return Invalid(args[0]->position, "cel.bind() variable names must be simple identifiers");
      return Bind(pos, args[0]->name, std::move(args[1]), std::move(args[2]));
    }
    if (two && options_.enable_optional_syntax && (name == "optMap" || name == "optFlatMap"))
      return OptionalMap(pos, name, std::move(target), std::move(args));
    bool macro = (two && (name == "all" || name == "exists" || name == "exists_one" || name == "map" ||
                          name == "filter")) ||
                 (args.size() == 3 && name == "map");
    if (!macro) return Call(pos, std::move(name), std::move(args), std::move(target));
    if (args[0]->kind != ExprKind::kIdent) return Invalid(args[0]->position, "argument must be a simple name");
    std::string var = args[0]->name;
    if (var == kAccumulatorName) return Invalid(args[0]->position, "iteration variable overwrites accumulator variable");
    ExprPtr c = New(ExprKind::kComprehension, pos);
    c->iter_var = var;
    c->accu_var = kAccumulatorName;
    c->iter_range = std::move(target);
    auto accu = [&] { return Ident(pos, kAccumulatorName); };
    auto one = [&](ExprPtr a) { std::vector<ExprPtr> v; v.push_back(std::move(a)); return v; };
    auto list_of = [&](ExprPtr a) {
      ExprPtr l = New(ExprKind::kList, pos);
      l->args.push_back(std::move(a));
      return Finish(std::move(l));
    };
    auto ternary = [&](ExprPtr cond, ExprPtr a, ExprPtr b) {
      std::vector<ExprPtr> v;
      v.push_back(std::move(cond));
      v.push_back(std::move(a));
      v.push_back(std::move(b));
      return Call(pos, "_?_:_", std::move(v));
    };
    if (name == "all" || name == "exists") {
      bool all = name == "all";
      c->accu_init = Constant(pos, Value::Bool(all));
      ExprPtr cond = all ? accu() : Call(pos, "!_", one(accu()));
      c->loop_condition = Call(pos, "@not_strictly_false", one(std::move(cond)));
      c->loop_step = Binary(pos, all ? "_&&_" : "_||_", accu(), std::move(args[1]));
      c->result = accu();
    } else if (name == "exists_one") {
      c->accu_init = Constant(pos, Value::Int(0));
      c->loop_condition = Constant(pos, Value::Bool(true));
      ExprPtr inc = Binary(pos, "_+_", accu(), Constant(pos, Value::Int(1)));
      c->loop_step = ternary(std::move(args[1]), std::move(inc), accu());
      c->result = Binary(pos, "_==_", accu(), Constant(pos, Value::Int(1)));
    } else {
      c->accu_init = Finish(New(ExprKind::kList, pos));
      c->loop_condition = Constant(pos, Value::Bool(true));
      ExprPtr step;
      if (name == "filter") {
        ExprPtr add = Binary(pos, "_+_", accu(), list_of(Ident(args[0]->position, var)));
        step = ternary(std::move(args[1]), std::move(add), accu());
      } else if (args.size() == 2) {
        step = Binary(pos, "_+_", accu(), list_of(std::move(args[1])));
      } else {
        ExprPtr add = Binary(pos, "_+_", accu(), list_of(std::move(args[2])));
        step = ternary(std::move(args[1]), std::move(add), accu());
      }
      c->loop_step = std::move(step);
      c->result = accu();
    }
    return Finish(std::move(c));
  }

  Lexer lexer_;
  const ParseOptions& options_;
  StackBudget stack_;
  Token tok_;
  std::int64_t next_id_ = 0;
  int depth_ = 0;
  bool failed_ = false;
  std::size_t error_pos_ = 0;
  std::string error_;
};

}  // namespace

std::string FormatSourceError(std::string_view source, std::size_t position, std::string_view message) {
  position = std::min(position, source.size());
  std::size_t line_start = source.rfind('\n', position == 0 ? std::string_view::npos : position - 1);
  line_start = line_start == std::string_view::npos ? 0 : line_start + 1;
  if (position < line_start) line_start = 0;
  std::size_t line_no = 1 + std::count(source.begin(), source.begin() + line_start, '\n');
  std::size_t line_end = source.find('\n', line_start);
  if (line_end == std::string_view::npos) line_end = source.size();
  std::string_view line = source.substr(line_start, line_end - line_start);
  std::size_t column = CountCodePoints(source.substr(line_start, position - line_start));
  std::string out = "ERROR: <input>:" + std::to_string(line_no) + ":" + std::to_string(column + 1) + ": " +
                    std::string(message) + "\n | " + std::string(line) + "\n | " + std::string(column, '.') + "^";
  return out;
}

std::expected<ExprPtr, std::string> Parse(std::string_view source, const ParseOptions& options) {
  std::size_t code_points = CountCodePoints(source);
  if (code_points > options.max_code_points) {
    return std::unexpected("expression code point size exceeds limit: size: " + std::to_string(code_points) +
                           ", limit " + std::to_string(options.max_code_points));
  }
  if (!IsValidUtf8(source)) return std::unexpected(std::string("invalid UTF-8 in expression"));
  Parser parser(source, options);
  return parser.Run();
}

}  // namespace kw::cel
