;; Claims OPA wasm ABI 2.0, which does not exist: refused.
  (global (export "opa_wasm_abi_version") i32 (i32.const 2))
  (global (export "opa_wasm_abi_minor_version") i32 (i32.const 0))
  (data (i32.const 4096) "{}")
  (func (export "builtins") (result i32) (call $parse (i32.const 4096) (i32.const 2)))
  (func $policy (param $input i32) (param $data i32) (result i32)
    (call $privileged_review (local.get $input) (local.get $data)))
