;; __guest_call loops forever calling __console_log("tick"). The loop is
;; dominated by host calls; the host must still interrupt it at the deadline.
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__console_log" (func $console_log (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "tick")
  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (if (i32.le_u (i32.add (local.get $op_len) (local.get $msg_len)) (i32.const 64512))
      (then (call $guest_request (i32.const 1024) (i32.add (i32.const 1024) (local.get $op_len)))))
    (loop $forever
      (call $console_log (i32.const 16) (i32.const 4))
      (br $forever))
    (i32.const 1))
)
