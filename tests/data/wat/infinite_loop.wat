;; __guest_call reads its request, then spins forever in a tight loop with no
;; calls. The host must interrupt it at the deadline (epoch/termination).
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (memory (export "memory") 1)
  (global $counter (mut i64) (i64.const 0))
  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (if (i32.le_u (i32.add (local.get $op_len) (local.get $msg_len)) (i32.const 64512))
      (then (call $guest_request (i32.const 1024) (i32.add (i32.const 1024) (local.get $op_len)))))
    (loop $forever
      (global.set $counter (i64.add (global.get $counter) (i64.const 1)))
      (br $forever))
    (i32.const 1))
)
