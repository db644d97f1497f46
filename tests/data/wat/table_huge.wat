;; A table of ten million entries, which V8 would allocate on the worker's JavaScript heap when
;; instantiating (160 MB, past the heap limit: a fatal V8 OOM). Refused when the module loads.
(module (import "wapc" "__guest_request" (func (param i32 i32)))
 (import "wapc" "__guest_response" (func (param i32 i32)))
 (memory (export "memory") 1) (table 10000000 funcref)
 (func (export "__guest_call") (param i32 i32) (result i32) i32.const 1))
