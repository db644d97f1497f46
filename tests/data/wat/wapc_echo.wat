;; waPC echo: responds with the request payload unchanged and returns 1.
;; Layout: op bytes at 1024, payload right after; memory grows on demand so
;; large payloads (benchmarks) fit.
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (memory (export "memory") 1)

  ;; Make sure memory[0..end) exists (grow by whole pages, trap if impossible).
  (func $ensure (param $end i32)
    (local $pages i32)
    (local.set $pages
      (i32.add (i32.shr_u (local.get $end) (i32.const 16))
               (i32.ne (i32.and (local.get $end) (i32.const 0xFFFF)) (i32.const 0))))
    (if (i32.gt_u (local.get $pages) (memory.size))
      (then
        (if (i32.eq (memory.grow (i32.sub (local.get $pages) (memory.size))) (i32.const -1))
          (then unreachable)))))

  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (local $op_ptr i32)
    (local $payload_ptr i32)
    (local.set $op_ptr (i32.const 1024))
    (local.set $payload_ptr (i32.add (local.get $op_ptr) (local.get $op_len)))
    (call $ensure (i32.add (local.get $payload_ptr) (local.get $msg_len)))
    (call $guest_request (local.get $op_ptr) (local.get $payload_ptr))
    (call $guest_response (local.get $payload_ptr) (local.get $msg_len))
    (i32.const 1))
)
