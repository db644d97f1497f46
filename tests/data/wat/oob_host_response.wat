;; Out-of-bounds test for wapc.__host_response (memory is 1 page = 64 KiB).
;; Step 1, a host call that must SUCCEED:
;;   - empty payload (or one without three '\n'): __host_call("kubewarden",
;;     "tracing", "log", {"level":"info","message":"x"}); that answer is EMPTY;
;;   - otherwise the payload is "<binding>\n<namespace>\n<operation>\n<payload>"
;;     (like wapc_host_call.wat), so a test can pick a host call whose answer
;;     is non-empty.
;;   If it fails: __guest_error("setup host call did not give the expected result"), return 0.
;; Step 2: __host_response(ptr=0xFFFFFFF0) -- far beyond the 64 KiB memory.
;; A correct host traps (bounds-check ptr+len against memory size, even for
;; len 0, like wasmtime's Memory::write and wasm's memory.copy). If the host
;; does NOT trap, the module responds "host did not trap" and returns 1.
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "wapc" "__guest_error" (func $guest_error (param i32 i32)))
  (import "wapc" "__host_call" (func $host_call (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wapc" "__host_response" (func $host_response (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "host did not trap") ;; 17
  (data (i32.const 64) "kubewarden")        ;; 10
  (data (i32.const 80) "tracing")           ;; 7
  (data (i32.const 88) "log")               ;; 3
  (data (i32.const 96) "{\"level\":\"info\",\"message\":\"x\"}") ;; 30
  (data (i32.const 136) "setup host call did not give the expected result") ;; 48
  ;; index of the first '\n' in [from, end), or -1
  (func $find_nl (param $from i32) (param $end i32) (result i32)
    (block $none
      (loop $next
        (br_if $none (i32.ge_u (local.get $from) (local.get $end)))
        (if (i32.eq (i32.load8_u (local.get $from)) (i32.const 10))
          (then (return (local.get $from))))
        (local.set $from (i32.add (local.get $from) (i32.const 1)))
        (br $next)))
    (i32.const -1))
  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (local $p i32) (local $end i32) (local $n1 i32) (local $n2 i32) (local $n3 i32)
    (local $ok i32)
    (if (i32.gt_u (i32.add (local.get $op_len) (local.get $msg_len)) (i32.const 64512))
      (then unreachable))
    (local.set $p (i32.add (i32.const 1024) (local.get $op_len)))
    (local.set $end (i32.add (local.get $p) (local.get $msg_len)))
    (call $guest_request (i32.const 1024) (local.get $p))
    (local.set $n1 (call $find_nl (local.get $p) (local.get $end)))
    (if (i32.ne (local.get $n1) (i32.const -1))
      (then (local.set $n2 (call $find_nl (i32.add (local.get $n1) (i32.const 1)) (local.get $end)))))
    (if (i32.and (i32.ne (local.get $n1) (i32.const -1)) (i32.ne (local.get $n2) (i32.const -1)))
      (then (local.set $n3 (call $find_nl (i32.add (local.get $n2) (i32.const 1)) (local.get $end))))
      (else (local.set $n3 (i32.const -1))))
    (if (i32.eq (local.get $n3) (i32.const -1))
      (then
        (local.set $ok (call $host_call (i32.const 64) (i32.const 10) (i32.const 80) (i32.const 7)
                                        (i32.const 88) (i32.const 3) (i32.const 96) (i32.const 30))))
      (else
        (local.set $ok (call $host_call
          (local.get $p) (i32.sub (local.get $n1) (local.get $p))
          (i32.add (local.get $n1) (i32.const 1)) (i32.sub (i32.sub (local.get $n2) (local.get $n1)) (i32.const 1))
          (i32.add (local.get $n2) (i32.const 1)) (i32.sub (i32.sub (local.get $n3) (local.get $n2)) (i32.const 1))
          (i32.add (local.get $n3) (i32.const 1)) (i32.sub (i32.sub (local.get $end) (local.get $n3)) (i32.const 1))))))
    (if (i32.eqz (local.get $ok))
      (then (call $guest_error (i32.const 136) (i32.const 48)) (return (i32.const 0))))
    (call $host_response (i32.const 0xFFFFFFF0))
    (call $guest_response (i32.const 16) (i32.const 17))
    (i32.const 1))
)
