;; A context-aware Gatekeeper policy (ABI 1.2, opa_eval): a violation when data.inventory
;; holds the pod aaa/forbidden in Gatekeeper's shape {"namespace": {<ns>: {<apiVersion>: {<Kind>:
;; {<name>: <object>}}}}} (the first of the inventory, so a test cluster puts it there), another
;; when the cluster-scoped namespace aaa is missing from {"cluster": {"v1": {"Namespace": ...}}}.
  (global (export "opa_wasm_abi_version") i32 (i32.const 1))
  (global (export "opa_wasm_abi_minor_version") i32 (i32.const 2))
  (data (i32.const 4096) "{}")
  (func (export "builtins") (result i32) (call $parse (i32.const 4096) (i32.const 2)))
  (export "opa_eval" (func $opa_eval))
  (data (i32.const 4200) "[{\"result\":[{\"msg\":\"pod aaa/forbidden is in data.inventory\"}]}]")
  (data (i32.const 4300) "[{\"result\":[]}]")
  (data (i32.const 4400) "\"namespace\":{\"aaa\":{\"v1\":{\"Pod\":{\"forbidden\":{\"apiVersion\":\"v1\",\"kind\":\"Pod\"")
  (data (i32.const 4500) "\"cluster\":{\"v1\":{\"Namespace\":{\"aaa\":{\"apiVersion\":\"v1\",\"kind\":\"Namespace\"")
  (data (i32.const 4600) "[{\"result\":[{\"msg\":\"namespace aaa is missing from data.inventory\"}]}]")
  (func $policy (param $input i32) (param $data i32) (result i32)
    (if (i32.eqz (call $contains (local.get $data) (i32.const 4500) (i32.const 73)))
      (then (return (call $parse (i32.const 4600) (i32.const 69)))))
    (if (call $contains (local.get $data) (i32.const 4400) (i32.const 76))
      (then (return (call $parse (i32.const 4200) (i32.const 63)))))
    (call $parse (i32.const 4300) (i32.const 15)))
