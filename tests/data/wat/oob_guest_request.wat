;; Out-of-bounds test for wapc.__guest_request (memory is 1 page = 64 KiB).
;; __guest_request(op_ptr=0xFFFC, payload_ptr=0xFFFFFFF8): the op (e.g. "validate", 8 bytes) straddles the end of memory and the payload pointer is far out of bounds (0xFFFFFFF8+len wraps 32 bits for payloads >= 8 bytes).
;; A correct host traps (the call fails, the host survives). If the host does
;; NOT trap, the module responds "host did not trap" and returns 1, so a test
;; can tell the difference.
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "host did not trap") ;; 17
  (data (i32.const 64) "kubewarden")        ;; 10
  (data (i32.const 80) "tracing")           ;; 7
  (data (i32.const 88) "log")               ;; 3
  (data (i32.const 96) "{\"level\":\"info\",\"message\":\"x\"}") ;; 30
  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (call $guest_request (i32.const 0xFFFC) (i32.const 0xFFFFFFF8))
    (call $guest_response (i32.const 16) (i32.const 17))
    (i32.const 1))
)
