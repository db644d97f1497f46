;; A module that imports its memory (as OPA policies do) and exports i32 globals, for the
;; engine's imported-memory, exported-global and nested-call tests.
(module
  (import "env" "memory" (memory 1))
  (import "env" "call_back" (func $call_back (result i32)))
  (global (export "answer") i32 (i32.const 42))
  (global $counter (export "counter") (mut i32) (i32.const 0))
  (global (export "wide") i64 (i64.const 7))
  (func (export "size") (result i32) (memory.size))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "bump") (global.set $counter (i32.add (global.get $counter) (i32.const 1))))
  ;; Called back from the host while `outer` runs.
  (func (export "inner") (result i32) (i32.const 7))
  ;; Calls the host, which calls `inner`, then returns its answer plus 1.
  (func (export "outer") (result i32) (i32.add (call $call_back) (i32.const 1)))
  ;; Calls the host (which calls `inner`), then loops forever: its deadline must still hold.
  (func (export "outer_then_spin") (drop (call $call_back)) (loop $l (br $l)))
)
