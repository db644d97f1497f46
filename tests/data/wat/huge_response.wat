;; Memory of 1600 pages (100 MiB). __guest_call responds with 104857600 bytes
;; (the whole memory, starting at 0) and returns 1. Exercises the host's
;; response size limit / copying of a very large response.
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (memory (export "memory") 1600)
  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (if (i32.le_u (i32.add (local.get $op_len) (local.get $msg_len)) (i32.const 104856576))
      (then (call $guest_request (i32.const 1024) (i32.add (i32.const 1024) (local.get $op_len)))))
    (call $guest_response (i32.const 0) (i32.const 104857600))
    (i32.const 1))
)
