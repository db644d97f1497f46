;; A WASI module without `_start` (a reactor): refused when loaded in execution mode wasi
;; ("this module is not a WASI program: it exports no `_start` function. ...").
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_initialize")))
