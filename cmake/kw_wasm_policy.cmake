# Building Kubewarden policies written in C++ with the guest SDK (sdk/cpp) into annotated
# wasm32-wasi modules.
#
# kw_wasm_policy(NAME <name> SOURCES <file>... METADATA <metadata.yml> [README <file>]
#                [DEPENDS <file>...] [OUTPUT_DIR <dir>] [TARGET <target>]
#                [WASI_COMMAND | OPA_ABI])
#
#   Compiles and links SOURCES with clang++-19 for wasm32-wasi, optimised for size (-Oz, LTO,
#   --gc-sections, --strip-all; then binaryen's `wasm-opt -Oz` when installed, see below),
#   against the SDK headers (and lib/goregex's, which its regex.h builds on) and the wasm32
#   libc++/wasi-libc only (never the host's /usr/include). Then runs this build's `kwctl
#   annotate` with METADATA (and `-u README` when given) to produce <OUTPUT_DIR>/<name>.wasm
#   (default: ${PROJECT_BINARY_DIR}/policies). DEPENDS lists extra inputs (local headers). Adds
#   the target TARGET (default `policy_<name>`), part of `all` and of the aggregate target
#   `policies` (created on first use). WASI_COMMAND links a WASI
#   command module (`_start` runs `main`) for `executionMode: wasi` policies instead of the
#   waPC reactor. OPA_ABI is for `executionMode: opa` modules whose sources implement the OPA
#   Wasm ABI exports (policy-server.md §4.e.1): the memory is imported (env.memory, at most
#   the host's 5 pages initially) and the ABI version globals, which C++ cannot define, are
#   added afterwards (wasm2wat, kw_opa_abi_globals.cmake, wat2wasm: ABI 1.1).
#
# kw_wasm_policy_dir(<dir>)
#
#   The convention used by policies/: <dir>'s name is the policy name, its *.cc files are the
#   sources (its *.h files, and those of the sibling folders such as policies/common, extra
#   dependencies), <dir>/metadata.yml the metadata and <dir>/README.md (if present) the usage
#   text. The metadata's `executionMode: wasi` or `opa` selects WASI_COMMAND or OPA_ABI.
#
# Configure fails with a clear message when clang++-19 or its wasm32 runtime is missing.

set(KW_SDK_INCLUDE_DIR ${PROJECT_SOURCE_DIR}/sdk/cpp/include)
# The regex engine the SDK's kubewarden/regex.h builds on (lib/goregex, header-only).
get_target_property(KW_GOREGEX_INCLUDE_DIR kw_goregex INTERFACE_INCLUDE_DIRECTORIES)
set(KW_POLICY_OUTPUT_DIR ${PROJECT_BINARY_DIR}/policies)

find_program(KW_WASM_CXX NAMES clang++-19)
if(NOT KW_WASM_CXX)
  message(FATAL_ERROR
    "clang++-19 is required to build the policies (apt install clang-19 lld-19 "
    "libc++-19-dev-wasm32 libc++abi-19-dev-wasm32 libclang-rt-19-dev-wasm32 wasi-libc)")
endif()
if(NOT EXISTS /usr/include/wasm32-wasi/stdlib.h)
  message(FATAL_ERROR "wasi-libc is required to build the policies (apt install wasi-libc)")
endif()

# Flags shared by every policy (kw_wasm_policy adds the execution model).
# -mexec-model=reactor (waPC policies): a library-style module (exports `_initialize`, which
#   runs static constructors; the SDK runs them itself on hosts that skip it, as upstream's
#   do). A "command" module (--no-entry) would run static destructors after every call instead.
#   WASI policies are commands (-mexec-model=command): the host runs `_start` once per call.
# -fno-exceptions/-fno-rtti: the SDK reports errors as values, and both cost size.
set(KW_WASM_POLICY_FLAGS
  --target=wasm32-wasi -std=c++23 -Oz -flto -fno-exceptions -fno-rtti
  -Wall -Wextra
  -I${KW_SDK_INCLUDE_DIR} -I${KW_GOREGEX_INCLUDE_DIR}
  -Wl,--gc-sections -Wl,--strip-all -Wl,-z,stack-size=65536)

# binaryen's wasm-opt (optional; scripts/setup.sh installs it) takes another 10-15 % off every
# module after linking. clang++ runs it by itself: after linking at an -O level it runs
# `wasm-opt -Oz` when it finds wasm-opt in PATH (and keeps the target_features section, which
# wasm-opt needs to accept sign-ext and friends). So there is no step of ours: a second,
# explicit pass would cost seconds per policy and make kyverno-dsl 162 bytes larger (-Oz is
# not idempotent); clang-19's --no-wasm-opt, which would let us own the step, drops the link.
find_program(KW_WASM_OPT wasm-opt)
if(KW_WASM_OPT)
  message(STATUS "Policies: clang++ runs ${KW_WASM_OPT} -Oz after linking")
else()
  message(STATUS "Policies: no wasm-opt (apt install binaryen): modules 10-15 % larger")
endif()

file(GLOB KW_SDK_HEADERS CONFIGURE_DEPENDS ${KW_SDK_INCLUDE_DIR}/kubewarden/*.h
                                           ${KW_GOREGEX_INCLUDE_DIR}/goregex/*.h)

function(kw_wasm_policy)
  cmake_parse_arguments(KW "WASI_COMMAND;OPA_ABI" "NAME;METADATA;README;OUTPUT_DIR;TARGET"
                        "SOURCES;DEPENDS" ${ARGN})
  if(NOT KW_NAME OR NOT KW_SOURCES OR NOT KW_METADATA)
    message(FATAL_ERROR "kw_wasm_policy: NAME, SOURCES and METADATA are required")
  endif()
  if(NOT KW_OUTPUT_DIR)
    set(KW_OUTPUT_DIR ${KW_POLICY_OUTPUT_DIR})
  endif()
  if(NOT KW_TARGET)
    set(KW_TARGET policy_${KW_NAME})
  endif()
  set(exec_model -mexec-model=reactor)
  if(KW_WASI_COMMAND)
    set(exec_model -mexec-model=command)
  elseif(KW_OPA_ABI)
    list(APPEND exec_model -Wl,--import-memory -Wl,--initial-memory=327680)
  endif()
  # The unannotated module stays out of the output folder, which holds policies only.
  set(raw_dir ${CMAKE_CURRENT_BINARY_DIR}/CMakeFiles/${KW_TARGET}.dir)
  set(raw ${raw_dir}/${KW_NAME}.wasm)
  set(out ${KW_OUTPUT_DIR}/${KW_NAME}.wasm)
  set(linked ${raw})
  if(KW_OPA_ABI)
    set(linked ${raw_dir}/${KW_NAME}.linked.wasm)
  endif()

  add_custom_command(
    OUTPUT ${linked}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${raw_dir}
    COMMAND ${KW_WASM_CXX} ${KW_WASM_POLICY_FLAGS} ${exec_model} ${KW_SOURCES} -o ${linked}
    DEPENDS ${KW_SOURCES} ${KW_DEPENDS} ${KW_SDK_HEADERS}
    COMMENT "clang++-19 --target=wasm32-wasi ${KW_NAME}"
    VERBATIM)
  if(KW_OPA_ABI)
    find_program(KW_WASM2WAT wasm2wat REQUIRED)
    find_program(KW_WAT2WASM wat2wasm REQUIRED)
    set(wat ${raw_dir}/${KW_NAME}.wat)
    add_custom_command(
      OUTPUT ${raw}
      COMMAND ${KW_WASM2WAT} ${linked} -o ${wat}
      COMMAND ${CMAKE_COMMAND} -DIN=${wat} -DOUT=${wat} -DMAJOR=1 -DMINOR=1
              -P ${PROJECT_SOURCE_DIR}/cmake/kw_opa_abi_globals.cmake
      COMMAND ${KW_WAT2WASM} ${wat} -o ${raw}
      DEPENDS ${linked} ${PROJECT_SOURCE_DIR}/cmake/kw_opa_abi_globals.cmake
      COMMENT "OPA ABI globals ${KW_NAME}"
      VERBATIM)
  endif()

  set(usage_args)
  set(usage_deps)
  if(KW_README)
    set(usage_args -u ${KW_README})
    set(usage_deps ${KW_README})
  endif()
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${KW_OUTPUT_DIR}
    COMMAND $<TARGET_FILE:kwctl> annotate ${raw} -m ${KW_METADATA} ${usage_args} -o ${out}
    DEPENDS ${raw} ${KW_METADATA} ${usage_deps} kwctl
    COMMENT "kwctl annotate ${KW_NAME}.wasm"
    VERBATIM)

  add_custom_target(${KW_TARGET} ALL DEPENDS ${out})
  if(NOT TARGET policies)
    add_custom_target(policies ALL)
  endif()
  add_dependencies(policies ${KW_TARGET})
endfunction()

function(kw_wasm_policy_dir dir)
  get_filename_component(name ${dir} NAME)
  file(GLOB sources CONFIGURE_DEPENDS ${dir}/*.cc)
  # Its own headers and those it may share with the rest of the catalogue (policies/common,
  # another policy's folder), which are included by relative path.
  file(GLOB headers CONFIGURE_DEPENDS ${dir}/*.h ${dir}/../*/*.h)
  set(readme)
  if(EXISTS ${dir}/README.md)
    set(readme README ${dir}/README.md)
  endif()
  if(NOT sources)
    message(FATAL_ERROR "policy ${name}: no .cc sources in ${dir}")
  endif()
  if(NOT EXISTS ${dir}/metadata.yml)
    message(FATAL_ERROR "policy ${name}: ${dir}/metadata.yml is missing")
  endif()
  set(model)
  file(STRINGS ${dir}/metadata.yml mode REGEX "^executionMode: *(wasi|opa) *$")
  if(mode MATCHES "wasi")
    set(model WASI_COMMAND)
  elseif(mode MATCHES "opa")
    set(model OPA_ABI)
  endif()
  kw_wasm_policy(NAME ${name} SOURCES ${sources} METADATA ${dir}/metadata.yml ${readme} ${model}
                 DEPENDS ${headers})
endfunction()
