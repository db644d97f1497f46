# Adds the OPA Wasm ABI version globals to a module that implements the ABI in C++ (C++ cannot
# define exported wasm globals): `cmake -DIN=<module.wat> -DOUT=<module.wat> -DMAJOR=1
# -DMINOR=1 -P kw_opa_abi_globals.cmake`. The globals are appended after the module's own, so
# no index changes. kw_wasm_policy(OPA_ABI) runs it between wasm2wat and wat2wasm.
file(READ ${IN} wat)
string(FIND "${wat}" ")" last REVERSE)
if(last LESS 0)
  message(FATAL_ERROR "${IN}: not a module")
endif()
string(SUBSTRING "${wat}" 0 ${last} head)
set(globals
  "\n  (global $kw_opa_abi_major i32 (i32.const ${MAJOR}))\n"
  "  (global $kw_opa_abi_minor i32 (i32.const ${MINOR}))\n"
  "  (export \"opa_wasm_abi_version\" (global $kw_opa_abi_major))\n"
  "  (export \"opa_wasm_abi_minor_version\" (global $kw_opa_abi_minor)))\n")
string(CONCAT wat "${head}" ${globals})
file(WRITE ${OUT} "${wat}")
