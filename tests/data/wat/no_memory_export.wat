;; Has a __guest_call that calls __guest_request, but its memory is NOT
;; exported. Host: refuse to load (no "memory" export), or fail the call
;; cleanly; never crash.
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (memory 1)
  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (call $guest_request (i32.const 1024) (i32.add (i32.const 1024) (local.get $op_len)))
    (i32.const 1))
)
