;; __guest_call calls a function that recurses without bound; every frame has
;; real locals and does work after the recursive call (no tail call).
;; The host must turn the stack overflow into a trap (call fails, host survives).
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (memory (export "memory") 1)
  (func $recurse (param $n i64) (result i64)
    (local $a i64) (local $b i64) (local $c i64) (local $d i64)
    (local $e f64) (local $f f64) (local $g f64) (local $h f64)
    (local.set $a (i64.mul (local.get $n) (i64.const 3)))
    (local.set $b (i64.add (local.get $a) (i64.const 7)))
    (local.set $c (i64.xor (local.get $b) (local.get $n)))
    (local.set $d (i64.rotl (local.get $c) (i64.const 5)))
    (local.set $e (f64.convert_i64_s (local.get $d)))
    (local.set $f (f64.mul (local.get $e) (f64.const 1.5)))
    (local.set $g (f64.add (local.get $f) (local.get $e)))
    (local.set $h (f64.sqrt (f64.abs (local.get $g))))
    (i64.add
      (call $recurse (i64.add (local.get $n) (i64.const 1)))
      (i64.add
        (i64.add (local.get $a) (local.get $b))
        (i64.add (i64.add (local.get $c) (local.get $d))
                 (i64.trunc_sat_f64_s (local.get $h))))))
  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (if (i32.le_u (i32.add (local.get $op_len) (local.get $msg_len)) (i32.const 64512))
      (then (call $guest_request (i32.const 1024) (i32.add (i32.const 1024) (local.get $op_len)))))
    (i32.wrap_i64 (call $recurse (i64.const 0))))
)
