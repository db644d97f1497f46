;; Exports memory and a function named `validate`, but no __guest_call.
;; Host: load fails with "Guest call function (__guest_call) not exported by wasm module."
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "validate") (param $op_len i32) (param $msg_len i32) (result i32)
    (call $guest_request (i32.const 1024) (i32.add (i32.const 1024) (local.get $op_len)))
    (i32.const 1))
)
