;; Minimal Kubewarden waPC policy: dispatches on the operation name bytes.
;;   validate          -> {"accepted":true}
;;   validate_settings -> {"valid":true}
;;   protocol_version  -> "v1"   (4 bytes, with the quotes)
;;   anything else     -> __guest_error("No handler registered for function <op>"), returns 0
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "wapc" "__guest_error" (func $guest_error (param i32 i32)))
  (memory (export "memory") 1)

  (data (i32.const 16) "validate")                 ;; 8
  (data (i32.const 32) "validate_settings")        ;; 17
  (data (i32.const 64) "protocol_version")         ;; 16
  (data (i32.const 128) "{\"accepted\":true}")     ;; 17
  (data (i32.const 160) "{\"valid\":true}")        ;; 14
  (data (i32.const 192) "\"v1\"")                  ;; 4
  ;; 35-byte prefix placed right before the op buffer (1024) so that
  ;; prefix + op is one contiguous error message.
  (data (i32.const 989) "No handler registered for function ")

  (func $ensure (param $end i32)
    (local $pages i32)
    (local.set $pages
      (i32.add (i32.shr_u (local.get $end) (i32.const 16))
               (i32.ne (i32.and (local.get $end) (i32.const 0xFFFF)) (i32.const 0))))
    (if (i32.gt_u (local.get $pages) (memory.size))
      (then
        (if (i32.eq (memory.grow (i32.sub (local.get $pages) (memory.size))) (i32.const -1))
          (then unreachable)))))

  ;; op (ptr,len) equals the constant at $c with length $clen?
  (func $op_is (param $p i32) (param $len i32) (param $c i32) (param $clen i32) (result i32)
    (local $i i32)
    (if (i32.ne (local.get $len) (local.get $clen)) (then (return (i32.const 0))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (if (i32.ne (i32.load8_u (i32.add (local.get $p) (local.get $i)))
                    (i32.load8_u (i32.add (local.get $c) (local.get $i))))
          (then (return (i32.const 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.const 1))

  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (local $op_ptr i32)
    (local $payload_ptr i32)
    (local.set $op_ptr (i32.const 1024))
    (local.set $payload_ptr (i32.add (local.get $op_ptr) (local.get $op_len)))
    (call $ensure (i32.add (local.get $payload_ptr) (local.get $msg_len)))
    (call $guest_request (local.get $op_ptr) (local.get $payload_ptr))
    (if (call $op_is (local.get $op_ptr) (local.get $op_len) (i32.const 16) (i32.const 8))
      (then (call $guest_response (i32.const 128) (i32.const 17)) (return (i32.const 1))))
    (if (call $op_is (local.get $op_ptr) (local.get $op_len) (i32.const 32) (i32.const 17))
      (then (call $guest_response (i32.const 160) (i32.const 14)) (return (i32.const 1))))
    (if (call $op_is (local.get $op_ptr) (local.get $op_len) (i32.const 64) (i32.const 16))
      (then (call $guest_response (i32.const 192) (i32.const 4)) (return (i32.const 1))))
    (call $guest_error (i32.const 989) (i32.add (i32.const 35) (local.get $op_len)))
    (i32.const 0))
)
