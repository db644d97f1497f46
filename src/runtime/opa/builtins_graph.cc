// graph.reachable and graph.reachable_paths over a graph given as an object from each node to
// the array or set of its neighbours, as OPA's topdown walks it.
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "runtime/opa/builtins_internal.h"
#include "runtime/opa/rego_value.h"

namespace kw::runtime::opa::internal {
namespace {

// A graph the policy built can have many paths of many nodes: bound what one call may return
// (nodes summed over every path), as the guest could not take more anyway.
constexpr std::size_t kMaxPathNodes = 4'000'000;

// The neighbours of `node`, or nullptr when the graph has no entry for it. An entry that is
// neither array nor set counts as no neighbours, as OPA's foreachVertex does.
struct Lookup {
  bool found = false;
  const json::array* neighbours = nullptr;
};

Lookup Neighbours(const json::object& graph, const json::value& node) {
  const json::value* entry = graph.if_contains(ObjectKeyText(node));
  if (entry == nullptr) return {};
  return {true, ArrayOrSetElements(*entry)};
}

Result<const json::object*> GraphOperand(std::string_view builtin,
                                         std::span<const json::value> args) {
  if (!args[0].is_object() || IsSet(args[0])) {
    return std::unexpected(OperandTypeError(builtin, 1, "object", args[0]));
  }
  return &args[0].get_object();
}

Result<const json::array*> InitialOperand(std::string_view builtin,
                                          std::span<const json::value> args) {
  const json::array* initial = ArrayOrSetElements(args[1]);
  if (initial == nullptr) {
    return std::unexpected(OperandTypesError(builtin, 2, {"set", "array"}, args[1]));
  }
  return initial;
}

Result<json::value> Reachable(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "graph.reachable";
  KW_TRY(CheckArity(kName, args, 2));
  KW_ASSIGN_OR_RETURN(const json::object* graph, GraphOperand(kName, args));
  KW_ASSIGN_OR_RETURN(const json::array* initial, InitialOperand(kName, args));
  // Breadth-first from the initial nodes; a node is reached when the graph has an entry for it.
  std::set<std::string> seen;
  json::array reached;
  std::vector<const json::value*> queue;
  for (const json::value& node : *initial) queue.push_back(&node);
  for (std::size_t i = 0; i < queue.size(); ++i) {
    const json::value& node = *queue[i];
    Lookup lookup = Neighbours(*graph, node);
    if (!lookup.found || !seen.insert(ObjectKeyText(node)).second) continue;
    reached.push_back(node);
    if (lookup.neighbours == nullptr) continue;
    for (const json::value& next : *lookup.neighbours) queue.push_back(&next);
  }
  return MakeSet(std::move(reached));
}

// OPA's pathBuilder, without recursion: a depth-first walk from one initial node that records a
// path wherever it stops. `reached` holds the nodes whose neighbours the walk went into (shared
// by the whole walk, so each node is expanded once); a path ends at a node without neighbours,
// before a neighbour already reached, or before a node the graph has no entry for (which is
// not part of the path).
class PathWalk {
 public:
  PathWalk(const json::object& graph, json::array& paths,
           std::size_t& budget)
      : graph_(graph), paths_(paths), budget_(budget) {}

  Result<void> From(const json::value& start) {
    KW_TRY(Enter(start));
    while (!stack_.empty()) {
      Frame& top = stack_.back();
      if (top.neighbours == nullptr || top.next == top.neighbours->size()) {
        stack_.pop_back();
        continue;
      }
      const json::value& next = (*top.neighbours)[top.next++];
      if (reached_.contains(ObjectKeyText(next))) {
        KW_TRY(Record());
        continue;
      }
      reached_.insert(ObjectKeyText(*top.node));
      KW_TRY(Enter(next));
    }
    return {};
  }

 private:
  struct Frame {
    const json::value* node;
    const json::array* neighbours;
    std::size_t next = 0;
  };

  Result<void> Enter(const json::value& node) {
    Lookup lookup = Neighbours(graph_, node);
    if (!lookup.found || reached_.contains(ObjectKeyText(node))) return Record();
    stack_.push_back({&node, lookup.neighbours});
    if (lookup.neighbours == nullptr || lookup.neighbours->empty()) {
      KW_TRY(Record());
      stack_.pop_back();
    }
    return {};
  }

  // The path of the nodes on the stack.
  Result<void> Record() {
    if (stack_.size() > budget_) {
      return std::unexpected(BuiltinError("graph.reachable_paths", "too many paths"));
    }
    budget_ -= stack_.size();
    json::array path;
    path.reserve(stack_.size());
    for (const Frame& frame : stack_) path.push_back(*frame.node);
    paths_.emplace_back(std::move(path));
    return {};
  }

  const json::object& graph_;
  json::array& paths_;
  std::size_t& budget_;
  std::set<std::string> reached_;
  std::vector<Frame> stack_;
};

Result<json::value> ReachablePaths(const BuiltinContext&, std::span<const json::value> args) {
  static constexpr std::string_view kName = "graph.reachable_paths";
  KW_TRY(CheckArity(kName, args, 2));
  KW_ASSIGN_OR_RETURN(const json::object* graph, GraphOperand(kName, args));
  KW_ASSIGN_OR_RETURN(const json::array* initial, InitialOperand(kName, args));
  json::array paths;  // MakeSet drops the duplicates
  std::size_t budget = kMaxPathNodes;
  for (const json::value& node : *initial) {
    // Each initial node starts afresh: what one walk reached does not cut another's paths.
    KW_TRY(PathWalk(*graph, paths, budget).From(node));
  }
  return MakeSet(std::move(paths));
}

constexpr BuiltinEntry kBuiltins[] = {
    {"graph.reachable", Reachable},
    {"graph.reachable_paths", ReachablePaths},
};

}  // namespace

std::span<const BuiltinEntry> GraphBuiltins() { return kBuiltins; }

}  // namespace kw::runtime::opa::internal
