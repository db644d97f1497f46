;; OPA ABI 1.2 with opa_eval: the pod-privileged check, after allocating and touching 1 MiB,
;; so that memory grows per evaluation unless the host rewinds the heap between evaluations.
  (global (export "opa_wasm_abi_version") i32 (i32.const 1))
  (global (export "opa_wasm_abi_minor_version") i32 (i32.const 2))
  (data (i32.const 4096) "{}")
  (func (export "builtins") (result i32) (call $parse (i32.const 4096) (i32.const 2)))
  (export "opa_eval" (func $opa_eval))
  (func $policy (param $input i32) (param $data i32) (result i32)
    (local $p i32)
    (local.set $p (call $malloc (i32.const 1048576)))
    (i32.store8 (i32.add (local.get $p) (i32.const 1048575)) (i32.const 1))
    (call $privileged_review (local.get $input) (local.get $data)))
