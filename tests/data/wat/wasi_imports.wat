;; waPC echo module that also imports WASI preview1 functions (the host must
;; link them, as upstream links the whole preview1 set).
;;   _start    : fd_write("hello from _start\n") to fd 1, random_get(16 bytes),
;;               clock_time_get(realtime), args_sizes_get, environ_sizes_get,
;;               fd_prestat_get(3) -- results stored at 256.. -- then returns normally.
;;   wapc_init : sets a flag.
;;   __guest_call : responds with one byte ('1' if wapc_init ran, else '0')
;;                  followed by the payload; returns 1.
;; Upstream order: _start first, then wapc_init, so a correct host answers "1<payload>".
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $fd_prestat_get (param i32 i32) (result i32)))
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (memory (export "memory") 1)

  (data (i32.const 16) "hello from _start\n") ;; 18
  ;; iovec { buf = 16, len = 18 } at 48
  (data (i32.const 48) "\10\00\00\00\12\00\00\00")

  (global $init_ran (mut i32) (i32.const 0))
  (global $start_ran (mut i32) (i32.const 0))

  ;; Results of _start (for debugging; not part of the response):
  ;;   256 nwritten, 260 fd_write errno, 264..280 random bytes, 280 random errno,
  ;;   288 timestamp (u64), 296 clock errno, 300/304 argc/argv_buf_size,
  ;;   308 errno, 312/316 environ count/size, 320 errno, 328 prestat, 336 errno
  (func (export "_start")
    (i32.store (i32.const 260) (call $fd_write (i32.const 1) (i32.const 48) (i32.const 1) (i32.const 256)))
    (i32.store (i32.const 280) (call $random_get (i32.const 264) (i32.const 16)))
    (i32.store (i32.const 296) (call $clock_time_get (i32.const 0) (i64.const 1000) (i32.const 288)))
    (i32.store (i32.const 308) (call $args_sizes_get (i32.const 300) (i32.const 304)))
    (i32.store (i32.const 320) (call $environ_sizes_get (i32.const 312) (i32.const 316)))
    (i32.store (i32.const 336) (call $fd_prestat_get (i32.const 3) (i32.const 328)))
    (global.set $start_ran (i32.const 1)))

  (func (export "wapc_init")
    (global.set $init_ran (i32.const 1)))

  (func $ensure (param $end i32)
    (local $pages i32)
    (local.set $pages
      (i32.add (i32.shr_u (local.get $end) (i32.const 16))
               (i32.ne (i32.and (local.get $end) (i32.const 0xFFFF)) (i32.const 0))))
    (if (i32.gt_u (local.get $pages) (memory.size))
      (then
        (if (i32.eq (memory.grow (i32.sub (local.get $pages) (memory.size))) (i32.const -1))
          (then unreachable)))))

  ;; op at 1024, flag byte at 1024+op_len, payload right after the flag byte
  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (local $flag i32)
    (local.set $flag (i32.add (i32.const 1024) (local.get $op_len)))
    (call $ensure (i32.add (i32.add (local.get $flag) (i32.const 1)) (local.get $msg_len)))
    (call $guest_request (i32.const 1024) (i32.add (local.get $flag) (i32.const 1)))
    (i32.store8 (local.get $flag) (i32.add (i32.const 48) (global.get $init_ran))) ;; '0' or '1'
    (call $guest_response (local.get $flag) (i32.add (local.get $msg_len) (i32.const 1)))
    (i32.const 1))
)
