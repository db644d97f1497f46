;; Calls __guest_error("boom from guest") and returns 0.
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_error" (func $guest_error (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "boom from guest") ;; 15
  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    ;; small requests only (op+payload must fit below 64 KiB - 1024)
    (if (i32.le_u (i32.add (local.get $op_len) (local.get $msg_len)) (i32.const 64512))
      (then (call $guest_request (i32.const 1024) (i32.add (i32.const 1024) (local.get $op_len)))))
    (call $guest_error (i32.const 16) (i32.const 15))
    (i32.const 0))
)
