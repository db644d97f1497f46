;; __guest_call grows its table by ten million entries. Tables may grow only up to the host's
;; table cap, so table.grow answers -1 and the guest traps with `unreachable` (without the cap,
;; V8 would allocate the entries on the JavaScript heap and die of OOM).
(module (import "wapc" "__guest_request" (func (param i32 i32)))
 (memory (export "memory") 1) (table 1 funcref)
 (func (export "__guest_call") (param i32 i32) (result i32)
   (if (i32.eq (table.grow 0 (ref.null func) (i32.const 10000000)) (i32.const -1))
     (then unreachable))
   i32.const 1))
