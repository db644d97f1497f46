;; A context-aware OPA policy (ABI 1.2, opa_eval): rejects when data.kubernetes holds the pod
;; aaa/forbidden in the inventory's shape {"pods": {<namespace>: {<name>: <object>}}} (the first
;; namespace and pod of the inventory, so a test cluster puts it there), accepts otherwise.
  (global (export "opa_wasm_abi_version") i32 (i32.const 1))
  (global (export "opa_wasm_abi_minor_version") i32 (i32.const 2))
  (data (i32.const 4096) "{}")
  (func (export "builtins") (result i32) (call $parse (i32.const 4096) (i32.const 2)))
  (export "opa_eval" (func $opa_eval))
  (data (i32.const 4200) "[{\"result\":{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":\"set-by-policy\",\"allowed\":true}}}]")
  (data (i32.const 4400) "[{\"result\":{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":\"set-by-policy\",\"allowed\":false,\"status\":{\"message\":\"pod aaa/forbidden is in data.kubernetes\"}}}}]")
  (data (i32.const 4700) "\"kubernetes\":{\"pods\":{\"aaa\":{\"forbidden\":{\"apiVersion\":\"v1\",\"kind\":\"Pod\"")
  (func $policy (param $input i32) (param $data i32) (result i32)
    (if (call $contains (local.get $data) (i32.const 4700) (i32.const 72))
      (then (return (call $parse (i32.const 4400) (i32.const 188)))))
    (call $parse (i32.const 4200) (i32.const 124)))
