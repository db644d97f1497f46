;; Gatekeeper-style policy, OPA ABI 1.2 with opa_eval. Its result set lists violations:
;; two messages (and one violation without a message) for a privileged container, one when the
;; parameters (settings) hold "deny_all":true, none otherwise.
  (global (export "opa_wasm_abi_version") i32 (i32.const 1))
  (global (export "opa_wasm_abi_minor_version") i32 (i32.const 2))
  (data (i32.const 4096) "{}")
  (func (export "builtins") (result i32) (call $parse (i32.const 4096) (i32.const 2)))
  (export "opa_eval" (func $opa_eval))
  (data (i32.const 4200) "[{\"result\":[{\"msg\":\"privileged container\"},{\"details\":{}},{\"msg\":\"second violation\"}]}]")
  (data (i32.const 4400) "[{\"result\":[{\"msg\":\"denied by parameters\"}]}]")
  (data (i32.const 4500) "[{\"result\":[]}]")
  (data (i32.const 4600) "\"privileged\":true")
  (data (i32.const 4650) "\"deny_all\":true")
  (func $policy (param $input i32) (param $data i32) (result i32)
    (if (call $contains (local.get $input) (i32.const 4600) (i32.const 17))
      (then (return (call $parse (i32.const 4200) (i32.const 87)))))
    (if (call $contains (local.get $input) (i32.const 4650) (i32.const 15))
      (then (return (call $parse (i32.const 4400) (i32.const 45)))))
    (call $parse (i32.const 4500) (i32.const 15)))
