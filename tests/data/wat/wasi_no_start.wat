;; A WASI module without `_start` (a reactor): the WASI runtime must refuse to run it with
;; upstream's "cannot find _start function inside of module".
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_initialize")))
