;; A WASI program whose wasm start function traps before `_start` can run: each request's fresh
;; instance fails with a typed trap error.
(module
 (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
 (memory (export "memory") 1)
 (func $s unreachable) (start $s)
 (func (export "_start")))
