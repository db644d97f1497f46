# kw_cc_library(NAME n SRCS ... [HDRS ...] DEPS ...): one component = one static library, kw_<n>.
#
# The build enforces the layering: a library, and whatever links it, sees only its own headers
# and those of the libraries it links (DEPS, and theirs in turn), never src/ as a whole, so an
# include of a component one does not depend on fails to compile instead of creeping in.
# A library's headers are the .h files in the folders of its SRCS, except those an earlier
# library already owns; HDRS (paths relative to the current folder) lists them instead when that
# rule does not fit (two libraries sharing a folder). Subfolders that are components of their
# own (src/engine/v8 is kw_engine_v8) are never part of the parent's headers.
# The headers are exposed through ${PROJECT_BINARY_DIR}/include/kw_<n>/, a tree of symlinks
# spelled as from src/ ("engine/engine.h"), so every #include reads the same as before.
function(kw_cc_library)
  cmake_parse_arguments(KW "" "NAME" "SRCS;HDRS;DEPS" ${ARGN})
  set(lib kw_${KW_NAME})
  add_library(${lib} STATIC ${KW_SRCS})

  if(KW_HDRS)
    list(TRANSFORM KW_HDRS PREPEND ${CMAKE_CURRENT_SOURCE_DIR}/ OUTPUT_VARIABLE headers)
  else()
    set(dirs)
    foreach(src IN LISTS KW_SRCS)
      get_filename_component(dir ${CMAKE_CURRENT_SOURCE_DIR}/${src} DIRECTORY)
      list(APPEND dirs ${dir})
    endforeach()
    list(REMOVE_DUPLICATES dirs)
    set(headers)
    foreach(dir IN LISTS dirs)
      file(GLOB found CONFIGURE_DEPENDS ${dir}/*.h)
      list(APPEND headers ${found})
    endforeach()
    get_property(owned GLOBAL PROPERTY KW_OWNED_HEADERS)
    if(owned AND headers)
      list(REMOVE_ITEM headers ${owned})
    endif()
  endif()
  set_property(GLOBAL APPEND PROPERTY KW_OWNED_HEADERS ${headers})

  # Rebuilt from scratch at every configure, so a removed header leaves no stale link behind.
  set(tree ${PROJECT_BINARY_DIR}/include/${lib})
  file(REMOVE_RECURSE ${tree})
  foreach(header IN LISTS headers)
    file(RELATIVE_PATH rel ${PROJECT_SOURCE_DIR}/src ${header})
    get_filename_component(rel_dir ${rel} DIRECTORY)
    file(MAKE_DIRECTORY ${tree}/${rel_dir})
    file(CREATE_LINK ${header} ${tree}/${rel} SYMBOLIC)
  endforeach()
  target_include_directories(${lib} PUBLIC ${tree})
  target_link_libraries(${lib} PUBLIC ${KW_DEPS})
endfunction()

# kw_cc_test(NAME n SRCS ... DEPS ...): a GoogleTest binary registered with CTest. It sees the
# headers of its DEPS (as kw_cc_library explains) and tests/, for the helpers of tests/testing.
function(kw_cc_test)
  cmake_parse_arguments(KW "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${KW_NAME} ${KW_SRCS})
  target_link_libraries(${KW_NAME} PRIVATE ${KW_DEPS} GTest::gtest GTest::gtest_main GTest::gmock)
  # Test helpers live in tests/testing, out of the components' own folders.
  target_include_directories(${KW_NAME} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  # The tests' environment: where the data and the trees are, and XDG_CACHE_HOME, so what they
  # run (kwctl's compiled-code cache) caches in the build tree, not in the home directory of
  # whoever runs them. It is set by a launcher script rather than the ENVIRONMENT property:
  # gtest_discover_tests (CMake 3.25) splits a list-valued property, so only the first entry
  # would reach the tests. The launcher also runs the discovery, which is harmless.
  set(launcher ${PROJECT_BINARY_DIR}/tests/with-test-env.sh)
  file(CONFIGURE OUTPUT ${launcher} @ONLY CONTENT [[#!/bin/sh
export KW_TEST_DATA='@PROJECT_BINARY_DIR@/tests/data'
export KW_SOURCE_DIR='@PROJECT_SOURCE_DIR@'
export KW_BINARY_DIR='@PROJECT_BINARY_DIR@'
export XDG_CACHE_HOME='@PROJECT_BINARY_DIR@/test-cache'
exec "$@"
]])
  file(CHMOD ${launcher} PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
       WORLD_READ WORLD_EXECUTE)
  set_property(TARGET ${KW_NAME} PROPERTY CROSSCOMPILING_EMULATOR ${launcher})
  gtest_discover_tests(${KW_NAME} DISCOVERY_TIMEOUT 60)
endfunction()
