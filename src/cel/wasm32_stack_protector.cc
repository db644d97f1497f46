// Debian's wasm32 compiler-rt builtins are built with the stack protector: __int128 division
// (__modti3, which ext_quantity.cc's 128-bit arithmetic reaches) references these two symbols,
// which wasi-libc does not define. They are part of CEL's wasm32 build (cel_wasm32 and the
// policies that compile src/cel), so any module linking the extension libraries links. A
// failed check traps, as wasi-libc's abort() would. Hosts' libc has both: nothing here then.
#if defined(__wasi__)
#include <cstdint>

extern "C" {
std::uintptr_t __stack_chk_guard = 0x5a17c0de5a17c0deULL & UINTPTR_MAX;
[[noreturn]] void __stack_chk_fail() { __builtin_trap(); }
}
#endif
