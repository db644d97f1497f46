// cel/stack.h: how much stack a recursive walk (parser, planner, evaluator) has used.
//
// Nesting limits bound the recursion's depth, but not the bytes it takes, which depend on the
// compiler and the target: a wasm32 policy has 64 KiB of stack by default, a host thread
// megabytes. A StackBudget is created where a walk starts and asked at each level; the walk
// then ends with its "recursion limit" error instead of overflowing the stack (which in wasm32
// silently overwrites memory).
#ifndef KW_CEL_STACK_H_
#define KW_CEL_STACK_H_

#include <cstddef>
#include <cstdint>

namespace kw::cel {

// The default budget: most of a wasm32 policy's default 64 KiB stack (a policy built with a
// larger stack may raise it through the options), and 1 MiB on hosts.
#if defined(__wasi__)
inline constexpr std::size_t kDefaultStackBudget = 40 * 1024;
#else
inline constexpr std::size_t kDefaultStackBudget = 1024 * 1024;
#endif

class StackBudget {
 public:
  explicit StackBudget(std::size_t bytes) : base_(Here()), bytes_(bytes) {}

  // True once the stack has grown more than the budget since construction (stacks grow
  // downwards on every target we build for: x86-64, aarch64, wasm32).
  bool Exhausted() const {
    std::uintptr_t here = Here();
    return here < base_ && base_ - here > bytes_;
  }
  // What is left of the budget here: the budget of a walk started from within this one (a
  // lazily computed variable evaluated in the middle of an evaluation).
  std::size_t Remaining() const {
    std::uintptr_t here = Here();
    std::size_t used = here < base_ ? base_ - here : 0;
    return used < bytes_ ? bytes_ - used : 0;
  }

 private:
  [[gnu::always_inline]] static std::uintptr_t Here() {
    return reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
  }

  std::uintptr_t base_;
  std::size_t bytes_;
};

}  // namespace kw::cel

#endif  // KW_CEL_STACK_H_
