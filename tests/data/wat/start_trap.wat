;; The start function traps. Instantiation must fail with a typed trap error (V8 hands back the
;; instance with the exception pending; reading it anyway used to abort the process).
(module (import "wapc" "__guest_request" (func (param i32 i32)))
 (import "wapc" "__guest_response" (func (param i32 i32)))
 (memory (export "memory") 1) (func $s unreachable) (start $s)
 (func (export "__guest_call") (param i32 i32) (result i32) i32.const 1))
