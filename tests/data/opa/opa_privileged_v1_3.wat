;; OPA ABI 1.3 with opa_eval: the pod-privileged check.
  (global (export "opa_wasm_abi_version") i32 (i32.const 1))
  (global (export "opa_wasm_abi_minor_version") i32 (i32.const 3))
  (data (i32.const 4096) "{}")
  (func (export "builtins") (result i32) (call $parse (i32.const 4096) (i32.const 2)))
  (export "opa_eval" (func $opa_eval))
  (func $policy (param $input i32) (param $data i32) (result i32)
    (call $privileged_review (local.get $input) (local.get $data)))
