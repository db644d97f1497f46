;; A WASI command that checks poll_oneoff as Go's wasip1 runtime uses it (run it as
;; executionMode: wasi). Accepts (`{"accepted":true}` on stdout) when:
;;   1. two relative clock subscriptions, 10 ms (userdata 1) and 10 s (userdata 2): one event,
;;      userdata 1 (only the clock that fired; the host slept about 10 ms, not 10 s);
;;   2. a 10 s clock (userdata 3) and an fd_read on stdin (userdata 4): one event at once,
;;      userdata 4, type fd_read.
;; Otherwise exits with code 7 (step 1) or 8 (step 2).
(module
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 700) "{\"accepted\":true}")

  ;; Writes a relative CLOCK_MONOTONIC subscription at `at`.
  (func $clock (param $at i32) (param $userdata i64) (param $timeout i64)
    (i64.store (local.get $at) (local.get $userdata))
    (i32.store8 (i32.add (local.get $at) (i32.const 8)) (i32.const 0))
    (i32.store (i32.add (local.get $at) (i32.const 16)) (i32.const 1))
    (i64.store (i32.add (local.get $at) (i32.const 24)) (local.get $timeout))
    (i64.store (i32.add (local.get $at) (i32.const 32)) (i64.const 1000))
    (i32.store16 (i32.add (local.get $at) (i32.const 40)) (i32.const 0)))

  (func (export "_start")
    ;; 1. two clocks
    (call $clock (i32.const 0) (i64.const 1) (i64.const 10000000))
    (call $clock (i32.const 48) (i64.const 2) (i64.const 10000000000))
    (if (i32.ne (call $poll_oneoff (i32.const 0) (i32.const 256) (i32.const 2) (i32.const 512))
                (i32.const 0))
      (then (call $proc_exit (i32.const 7))))
    (if (i32.ne (i32.load (i32.const 512)) (i32.const 1)) (then (call $proc_exit (i32.const 7))))
    (if (i64.ne (i64.load (i32.const 256)) (i64.const 1)) (then (call $proc_exit (i32.const 7))))

    ;; 2. a clock and stdin
    (call $clock (i32.const 0) (i64.const 3) (i64.const 10000000000))
    (i64.store (i32.const 48) (i64.const 4))
    (i32.store8 (i32.const 56) (i32.const 1))
    (i32.store (i32.const 64) (i32.const 0))
    (if (i32.ne (call $poll_oneoff (i32.const 0) (i32.const 256) (i32.const 2) (i32.const 512))
                (i32.const 0))
      (then (call $proc_exit (i32.const 8))))
    (if (i32.ne (i32.load (i32.const 512)) (i32.const 1)) (then (call $proc_exit (i32.const 8))))
    (if (i64.ne (i64.load (i32.const 256)) (i64.const 4)) (then (call $proc_exit (i32.const 8))))
    (if (i32.ne (i32.load8_u (i32.const 266)) (i32.const 1)) (then (call $proc_exit (i32.const 8))))

    (i32.store (i32.const 600) (i32.const 700))
    (i32.store (i32.const 604) (i32.const 17))
    (drop (call $fd_write (i32.const 1) (i32.const 600) (i32.const 1) (i32.const 620)))))
