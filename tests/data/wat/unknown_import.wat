;; waPC echo module that also imports "env"."mystery" (a function nobody
;; provides). Host: instantiation/loading fails (unknown import), never crashes.
(module
  (import "env" "mystery" (func $mystery))
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (local $p i32)
    (if (i32.gt_u (i32.add (local.get $op_len) (local.get $msg_len)) (i32.const 64512))
      (then unreachable))
    (call $mystery)
    (local.set $p (i32.add (i32.const 1024) (local.get $op_len)))
    (call $guest_request (i32.const 1024) (local.get $p))
    (call $guest_response (local.get $p) (local.get $msg_len))
    (i32.const 1))
)
