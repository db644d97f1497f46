;; Out-of-bounds test for wapc.__host_error (memory is 1 page = 64 KiB).
;; First __host_call(binding "nope", "tracing", "log", {"level":"info","message":"x"}) which the host rejects ("unknown binding: nope", a non-empty host error); then __host_error(ptr=0xFFFFFFF0). If the setup call unexpectedly succeeds: __guest_error("setup host call did not give the expected result"), return 0.
;; A correct host traps (the call fails, the host survives). If the host does
;; NOT trap, the module responds "host did not trap" and returns 1, so a test
;; can tell the difference.
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "wapc" "__guest_error" (func $guest_error (param i32 i32)))
  (import "wapc" "__host_call" (func $host_call (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wapc" "__host_error" (func $host_error (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "host did not trap") ;; 17
  (data (i32.const 64) "kubewarden")        ;; 10
  (data (i32.const 80) "tracing")           ;; 7
  (data (i32.const 88) "log")               ;; 3
  (data (i32.const 96) "{\"level\":\"info\",\"message\":\"x\"}") ;; 30
  (data (i32.const 128) "nope")             ;; 4
  (data (i32.const 136) "setup host call did not give the expected result") ;; 48
  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (if (i32.le_u (i32.add (local.get $op_len) (local.get $msg_len)) (i32.const 64512))
      (then (call $guest_request (i32.const 1024) (i32.add (i32.const 1024) (local.get $op_len)))))
    (if (call $host_call (i32.const 128) (i32.const 4) (i32.const 80) (i32.const 7)
                         (i32.const 88) (i32.const 3) (i32.const 96) (i32.const 30))
      (then (call $guest_error (i32.const 136) (i32.const 48)) (return (i32.const 0))))
    (call $host_error (i32.const 0xFFFFFFF0))
    (call $guest_response (i32.const 16) (i32.const 17))
    (i32.const 1))
)
