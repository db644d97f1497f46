;; waPC host-call relay. Payload = "<binding>\n<namespace>\n<operation>\n<payload bytes>"
;; (the payload field is everything after the third '\n' and may contain anything).
;; Calls __host_call with those four fields:
;;   returns 1 -> responds with the __host_response bytes, returns 1
;;   returns 0 -> __guest_error(<__host_error bytes>), returns 0
;; Fewer than three '\n' -> __guest_error("malformed host call request"), returns 0.
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "wapc" "__guest_error" (func $guest_error (param i32 i32)))
  (import "wapc" "__host_call" (func $host_call (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wapc" "__host_response_len" (func $host_response_len (result i32)))
  (import "wapc" "__host_response" (func $host_response (param i32)))
  (import "wapc" "__host_error_len" (func $host_error_len (result i32)))
  (import "wapc" "__host_error" (func $host_error (param i32)))
  (memory (export "memory") 1)

  (data (i32.const 16) "malformed host call request") ;; 27

  (func $ensure (param $end i32)
    (local $pages i32)
    (local.set $pages
      (i32.add (i32.shr_u (local.get $end) (i32.const 16))
               (i32.ne (i32.and (local.get $end) (i32.const 0xFFFF)) (i32.const 0))))
    (if (i32.gt_u (local.get $pages) (memory.size))
      (then
        (if (i32.eq (memory.grow (i32.sub (local.get $pages) (memory.size))) (i32.const -1))
          (then unreachable)))))

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
    (local $p i32) (local $end i32)
    (local $n1 i32) (local $n2 i32) (local $n3 i32)
    (local $out i32) (local $len i32)
    (local.set $p (i32.add (i32.const 1024) (local.get $op_len)))
    (local.set $end (i32.add (local.get $p) (local.get $msg_len)))
    (call $ensure (local.get $end))
    (call $guest_request (i32.const 1024) (local.get $p))

    (local.set $n1 (call $find_nl (local.get $p) (local.get $end)))
    (if (i32.eq (local.get $n1) (i32.const -1))
      (then (call $guest_error (i32.const 16) (i32.const 27)) (return (i32.const 0))))
    (local.set $n2 (call $find_nl (i32.add (local.get $n1) (i32.const 1)) (local.get $end)))
    (if (i32.eq (local.get $n2) (i32.const -1))
      (then (call $guest_error (i32.const 16) (i32.const 27)) (return (i32.const 0))))
    (local.set $n3 (call $find_nl (i32.add (local.get $n2) (i32.const 1)) (local.get $end)))
    (if (i32.eq (local.get $n3) (i32.const -1))
      (then (call $guest_error (i32.const 16) (i32.const 27)) (return (i32.const 0))))

    ;; answer buffer goes after the request, 8-byte aligned
    (local.set $out (i32.and (i32.add (local.get $end) (i32.const 7)) (i32.const -8)))

    (if (call $host_call
          (local.get $p) (i32.sub (local.get $n1) (local.get $p))
          (i32.add (local.get $n1) (i32.const 1)) (i32.sub (i32.sub (local.get $n2) (local.get $n1)) (i32.const 1))
          (i32.add (local.get $n2) (i32.const 1)) (i32.sub (i32.sub (local.get $n3) (local.get $n2)) (i32.const 1))
          (i32.add (local.get $n3) (i32.const 1)) (i32.sub (i32.sub (local.get $end) (local.get $n3)) (i32.const 1)))
      (then
        (local.set $len (call $host_response_len))
        (call $ensure (i32.add (local.get $out) (local.get $len)))
        (call $host_response (local.get $out))
        (call $guest_response (local.get $out) (local.get $len))
        (return (i32.const 1))))
    (local.set $len (call $host_error_len))
    (call $ensure (i32.add (local.get $out) (local.get $len)))
    (call $host_error (local.get $out))
    (call $guest_error (local.get $out) (local.get $len))
    (i32.const 0))
)
