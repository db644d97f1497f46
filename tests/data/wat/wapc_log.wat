;; waPC logger: __console_log(<payload>), then responds "ok" and returns 1.
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "wapc" "__console_log" (func $console_log (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "ok")

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
    (local $p i32)
    (local.set $p (i32.add (i32.const 1024) (local.get $op_len)))
    (call $ensure (i32.add (local.get $p) (local.get $msg_len)))
    (call $guest_request (i32.const 1024) (local.get $p))
    (call $console_log (local.get $p) (local.get $msg_len))
    (call $guest_response (i32.const 16) (i32.const 2))
    (i32.const 1))
)
