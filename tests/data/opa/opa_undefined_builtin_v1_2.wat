;; OPA ABI 1.2: uuid.parse("nope") is undefined in OPA, which the host answers with a null
;; address, as OPA's own builtins do and as compiled Rego tests for. Traps on any other answer.
  (global (export "opa_wasm_abi_version") i32 (i32.const 1))
  (global (export "opa_wasm_abi_minor_version") i32 (i32.const 2))
  (data (i32.const 4096) "{\"uuid.parse\":0}")
  (func (export "builtins") (result i32) (call $parse (i32.const 4096) (i32.const 16)))
  (export "opa_eval" (func $opa_eval))
  (data (i32.const 4200) "\"nope\"")
  (func $policy (param $input i32) (param $data i32) (result i32)
    (if (i32.ne (call $opa_builtin1 (i32.const 0) (i32.const 0)
                  (call $parse (i32.const 4200) (i32.const 6)))
                (i32.const 0))
      (then unreachable))
    (call $privileged_review (local.get $input) (local.get $data)))
