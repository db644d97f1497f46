;; _start calls wasi proc_exit(0) (what TinyGo/WASI command modules do on a
;; clean exit). A correct host tolerates the exit-0 trap during initialisation;
;; __guest_call then echoes the payload.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (call $proc_exit (i32.const 0)))
  (func $ensure (param $end i32)
    (local $pages i32)
    (local.set $pages
      (i32.add (i32.shr_u (local.get $end) (i32.const 16))
               (i32.ne (i32.and (local.get $end) (i32.const 0xFFFF)) (i32.const 0))))
    (if (i32.gt_u (local.get $pages) (memory.size))
      (then
        (if (i32.eq (memory.grow (i32.sub (local.get $pages) (memory.size))) (i32.const -1))
          (then unreachable)))))
  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (local $p i32)
    (local.set $p (i32.add (i32.const 1024) (local.get $op_len)))
    (call $ensure (i32.add (local.get $p) (local.get $msg_len)))
    (call $guest_request (i32.const 1024) (local.get $p))
    (call $guest_response (local.get $p) (local.get $msg_len))
    (i32.const 1))
)
