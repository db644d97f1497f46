;; The start function recurses without bound: a stack overflow, classified as in a call.
(module (import "wapc" "__guest_request" (func (param i32 i32)))
 (memory (export "memory") 1)
 (func $r (param i64) (result i64)
   (i64.add (call $r (i64.add (local.get 0) (i64.const 1))) (local.get 0)))
 (func $s (drop (call $r (i64.const 0)))) (start $s)
 (func (export "__guest_call") (param i32 i32) (result i32) i32.const 1))
