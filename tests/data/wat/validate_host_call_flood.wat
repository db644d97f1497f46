;; validate_loop.wat's twin whose endless `validate` is a flood of host calls: it calls
;; __console_log("flooding the host") forever. Its settings are valid, so a server loads it; the
;; deadline must still stop it although nearly all its time is spent in the host (bench/soak.sh).
;;   validate_settings -> {"valid":true}
;;   protocol_version  -> "v1"
;;   anything else     -> __console_log("flooding the host"), forever
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "wapc" "__console_log" (func $console_log (param i32 i32)))
  (memory (export "memory") 1)

  (data (i32.const 32) "validate_settings")        ;; 17
  (data (i32.const 64) "protocol_version")         ;; 16
  (data (i32.const 160) "{\"valid\":true}")        ;; 14
  (data (i32.const 192) "\"v1\"")                  ;; 4
  (data (i32.const 256) "flooding the host")       ;; 17

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
    ;; Only the op is needed; big payloads are not copied (1 page of memory).
    (if (i32.le_u (i32.add (local.get $op_len) (local.get $msg_len)) (i32.const 64512))
      (then (call $guest_request (i32.const 1024) (i32.add (i32.const 1024) (local.get $op_len)))))
    (if (call $op_is (i32.const 1024) (local.get $op_len) (i32.const 32) (i32.const 17))
      (then (call $guest_response (i32.const 160) (i32.const 14)) (return (i32.const 1))))
    (if (call $op_is (i32.const 1024) (local.get $op_len) (i32.const 64) (i32.const 16))
      (then (call $guest_response (i32.const 192) (i32.const 4)) (return (i32.const 1))))
    (loop $forever
      (call $console_log (i32.const 256) (i32.const 17))
      (br $forever))
    (i32.const 1))
)
