;; Out-of-bounds test for wapc.__guest_error (memory is 1 page = 64 KiB).
;; __guest_error(ptr=0xFFFFFF00, len=0x1000): entirely out of bounds (and ptr+len wraps 32 bits).
;; A correct host traps (the call fails, the host survives). If the host does
;; NOT trap, the module responds "host did not trap" and returns 1, so a test
;; can tell the difference.
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "wapc" "__guest_error" (func $guest_error (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "host did not trap") ;; 17
  (data (i32.const 64) "kubewarden")        ;; 10
  (data (i32.const 80) "tracing")           ;; 7
  (data (i32.const 88) "log")               ;; 3
  (data (i32.const 96) "{\"level\":\"info\",\"message\":\"x\"}") ;; 30
  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (if (i32.le_u (i32.add (local.get $op_len) (local.get $msg_len)) (i32.const 64512))
      (then (call $guest_request (i32.const 1024) (i32.add (i32.const 1024) (local.get $op_len)))))
    (call $guest_error (i32.const 0xFFFFFF00) (i32.const 0x1000))
    (call $guest_response (i32.const 16) (i32.const 17))
    (i32.const 1))
)
