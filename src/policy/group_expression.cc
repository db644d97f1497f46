#include "policy/group_expression.h"

#include <cctype>
#include <optional>

#include "base/utf8.h"

namespace kw::policy {

struct GroupExpression::Node {
  enum class Op { kConstant, kMember, kNot, kAnd, kOr, kEqual, kNotEqual } op;
  bool constant = false;
  std::string member;
  std::shared_ptr<const Node> lhs, rhs;
};

namespace {

using Node = GroupExpression::Node;
using NodePtr = std::shared_ptr<const Node>;

// Deep nesting is refused: the evaluator recurses, and no sensible group needs more.
constexpr int kMaxDepth = 64;

class Parser {
 public:
  Parser(std::string_view text, const std::set<std::string>& members)
      : text_(text), members_(members) {}

  Result<NodePtr> ParseAll() {
    KW_ASSIGN_OR_RETURN(NodePtr root, ParseOr(0));
    SkipSpace();
    if (pos_ < text_.size()) {
      return Error("unexpected `" + CharacterAt(pos_) +
                   "` (the operators are ==, !=, &&, || and !)");
    }
    return root;
  }

 private:
  std::unexpected<kw::Error> Error(const std::string& what) const {
    return std::unexpected(kw::Error(
        ErrorKind::kInvalidArgument, "invalid policy group expression '" + std::string(text_) +
                                         "': " + what + " at column " + std::to_string(pos_ + 1)));
  }

  // The character at `pos`, whole: a message must not cut a UTF-8 sequence in two.
  std::string CharacterAt(std::size_t pos) const {
    std::optional<Utf8Sequence> sequence = DecodeUtf8(text_.substr(pos));
    return std::string(text_.substr(pos, sequence ? sequence->length : 1));
  }

  void SkipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }

  bool Eat(std::string_view token) {
    SkipSpace();
    if (text_.substr(pos_, token.size()) != token) return false;
    pos_ += token.size();
    return true;
  }

  static NodePtr Binary(Node::Op op, NodePtr lhs, NodePtr rhs) {
    auto n = std::make_shared<Node>();
    n->op = op;
    n->lhs = std::move(lhs);
    n->rhs = std::move(rhs);
    return n;
  }

  Result<NodePtr> ParseOr(int depth) {
    KW_ASSIGN_OR_RETURN(NodePtr lhs, ParseAnd(depth));
    while (Eat("||")) {
      KW_ASSIGN_OR_RETURN(NodePtr rhs, ParseAnd(depth));
      lhs = Binary(Node::Op::kOr, std::move(lhs), std::move(rhs));
    }
    return lhs;
  }

  Result<NodePtr> ParseAnd(int depth) {
    KW_ASSIGN_OR_RETURN(NodePtr lhs, ParseEquality(depth));
    while (Eat("&&")) {
      KW_ASSIGN_OR_RETURN(NodePtr rhs, ParseEquality(depth));
      lhs = Binary(Node::Op::kAnd, std::move(lhs), std::move(rhs));
    }
    return lhs;
  }

  Result<NodePtr> ParseEquality(int depth) {
    KW_ASSIGN_OR_RETURN(NodePtr lhs, ParseUnary(depth));
    for (;;) {
      Node::Op op;
      if (Eat("==")) op = Node::Op::kEqual;
      else if (Eat("!=")) op = Node::Op::kNotEqual;
      else return lhs;
      KW_ASSIGN_OR_RETURN(NodePtr rhs, ParseUnary(depth));
      lhs = Binary(op, std::move(lhs), std::move(rhs));
    }
  }

  Result<NodePtr> ParseUnary(int depth) {
    if (depth > kMaxDepth) return Error("the expression nests too deeply");
    SkipSpace();
    if (text_.substr(pos_, 2) != "!=" && Eat("!")) {
      KW_ASSIGN_OR_RETURN(NodePtr operand, ParseUnary(depth + 1));
      return Binary(Node::Op::kNot, std::move(operand), nullptr);
    }
    return ParsePrimary(depth);
  }

  Result<NodePtr> ParsePrimary(int depth) {
    SkipSpace();
    if (pos_ >= text_.size()) return Error("unexpected end of expression");
    if (Eat("(")) {
      KW_ASSIGN_OR_RETURN(NodePtr inner, ParseOr(depth + 1));
      if (!Eat(")")) return Error("missing `)`");
      return inner;
    }
    if (text_[pos_] == '"' || text_[pos_] == '\'') {
      return Error("a string literal is not allowed: the only literals are `true` and `false`");
    }
    std::size_t start = pos_;
    while (pos_ < text_.size() &&
           (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_' ||
            text_[pos_] == '-')) {
      ++pos_;
    }
    if (start == pos_) return Error("unexpected `" + CharacterAt(pos_) + "`");
    std::string word(text_.substr(start, pos_ - start));
    auto node = std::make_shared<Node>();
    if (word == "true" || word == "false") {
      node->op = Node::Op::kConstant;
      node->constant = word == "true";
      return NodePtr(node);
    }
    if (std::isdigit(static_cast<unsigned char>(word[0])) || word == "null") {
      pos_ = start;
      return Error("`" + word + "` is not allowed: the only literals are `true` and `false`");
    }
    if (!Eat("(") || !Eat(")")) {
      pos_ = start;
      return Error("`" + word + "` must be called as `" + word + "()`");
    }
    if (!members_.contains(word)) {
      pos_ = start;
      return Error("unknown policy `" + word + "`: the group has no member of that name");
    }
    node->op = Node::Op::kMember;
    node->member = std::move(word);
    return NodePtr(node);
  }

  std::string_view text_;
  const std::set<std::string>& members_;
  std::size_t pos_ = 0;
};

// `n` as text, parenthesised where needed: what a short-circuit names.
std::string Text(const Node& n) {
  switch (n.op) {
    case Node::Op::kConstant: return n.constant ? "true" : "false";
    case Node::Op::kMember: return n.member + "()";
    case Node::Op::kNot: return "!" + Text(*n.lhs);
    case Node::Op::kAnd: return "(" + Text(*n.lhs) + " && " + Text(*n.rhs) + ")";
    case Node::Op::kOr: return "(" + Text(*n.lhs) + " || " + Text(*n.rhs) + ")";
    case Node::Op::kEqual: return "(" + Text(*n.lhs) + " == " + Text(*n.rhs) + ")";
    case Node::Op::kNotEqual: return "(" + Text(*n.lhs) + " != " + Text(*n.rhs) + ")";
  }
  return {};
}

// The outer parentheses of a binary operation's Text, which read as noise on their own.
std::string BareText(const Node& n) {
  std::string text = Text(n);
  const bool binary = n.op != Node::Op::kConstant && n.op != Node::Op::kMember &&
                      n.op != Node::Op::kNot;
  return binary ? text.substr(1, text.size() - 2) : text;
}

void MemberCalls(const Node& n, std::vector<std::string>& out) {
  if (n.op == Node::Op::kMember) out.push_back(n.member);
  if (n.lhs) MemberCalls(*n.lhs, out);
  if (n.rhs) MemberCalls(*n.rhs, out);
}

using ShortCircuitObserver = GroupExpression::ShortCircuitObserver;

void Report(const ShortCircuitObserver* observer, const Node& n, bool lhs) {
  if (observer == nullptr) return;
  GroupExpression::ShortCircuit sc{n.op == Node::Op::kAnd ? "&&" : "||", BareText(*n.lhs), lhs,
                                   {}};
  MemberCalls(*n.rhs, sc.skipped);
  (*observer)(std::move(sc));
}

Result<bool> Eval(const Node& n, const std::function<Result<bool>(const std::string&)>& call,
                  const ShortCircuitObserver* observer) {
  switch (n.op) {
    case Node::Op::kConstant: return n.constant;
    case Node::Op::kMember: return call(n.member);
    case Node::Op::kNot: {
      KW_ASSIGN_OR_RETURN(bool v, Eval(*n.lhs, call, observer));
      return !v;
    }
    case Node::Op::kAnd: {
      KW_ASSIGN_OR_RETURN(bool lhs, Eval(*n.lhs, call, observer));
      if (!lhs) {
        Report(observer, n, lhs);
        return false;
      }
      return Eval(*n.rhs, call, observer);
    }
    case Node::Op::kEqual:
    case Node::Op::kNotEqual: {
      KW_ASSIGN_OR_RETURN(bool lhs, Eval(*n.lhs, call, observer));
      KW_ASSIGN_OR_RETURN(bool rhs, Eval(*n.rhs, call, observer));
      return (lhs == rhs) == (n.op == Node::Op::kEqual);
    }
    case Node::Op::kOr: {
      KW_ASSIGN_OR_RETURN(bool lhs, Eval(*n.lhs, call, observer));
      if (lhs) {
        Report(observer, n, lhs);
        return true;
      }
      return Eval(*n.rhs, call, observer);
    }
  }
  return false;
}

}  // namespace

Result<GroupExpression> GroupExpression::Parse(std::string_view text,
                                               const std::set<std::string>& members) {
  GroupExpression e;
  e.text_ = std::string(text);
  KW_ASSIGN_OR_RETURN(e.root_, Parser(e.text_, members).ParseAll());
  return e;
}

Result<bool> GroupExpression::Evaluate(
    const std::function<Result<bool>(const std::string&)>& call_member,
    const ShortCircuitObserver* on_short_circuit) const {
  return Eval(*root_, call_member, on_short_circuit);
}

}  // namespace kw::policy
