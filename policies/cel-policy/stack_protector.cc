// Debian's wasm32 compiler-rt builtins are built with the stack protector: __int128 division
// (__modti3, which the CEL extension libraries reach) references these two symbols, which
// wasi-libc does not define. A failed check traps, as wasi-libc's abort() would.
#include <cstdint>

extern "C" {
std::uintptr_t __stack_chk_guard = 0x5a17c0de5a17c0deULL & UINTPTR_MAX;
[[noreturn]] void __stack_chk_fail() { __builtin_trap(); }
}
