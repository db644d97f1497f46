;; Imports wapc.__guest_request with the WRONG type (i32) -> () instead of
;; (i32 i32) -> (). Host: instantiation/loading fails with a link/type error.
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (call $guest_request (i32.const 1024))
    (call $guest_response (i32.const 1024) (i32.const 0))
    (i32.const 1))
)
