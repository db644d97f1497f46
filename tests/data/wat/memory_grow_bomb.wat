;; Memory starts at 1 page with no maximum. __guest_call grows it by 16 pages
;; (1 MiB) at a time forever, touching the last byte of every new chunk so the
;; pages are really committed. When memory.grow fails (-1) it executes
;; `unreachable`. A correct host caps guest memory (grow returns -1 -> trap) or
;; interrupts it at the deadline; it must not be OOM-killed.
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (local $old i32)
    (if (i32.le_u (i32.add (local.get $op_len) (local.get $msg_len)) (i32.const 64512))
      (then (call $guest_request (i32.const 1024) (i32.add (i32.const 1024) (local.get $op_len)))))
    (loop $grow
      (local.set $old (memory.grow (i32.const 16)))
      (if (i32.eq (local.get $old) (i32.const -1)) (then unreachable))
      ;; last byte of the new region: (old + 16) * 65536 - 1 (wraps correctly at 4 GiB)
      (i32.store8
        (i32.sub (i32.shl (i32.add (local.get $old) (i32.const 16)) (i32.const 16)) (i32.const 1))
        (i32.const 0xAB))
      (br $grow))
    (i32.const 1))
)
