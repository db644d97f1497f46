# kw_cc_library(NAME n SRCS ... DEPS ...): one component = one static library, include root src/.
function(kw_cc_library)
  cmake_parse_arguments(KW "" "NAME" "SRCS;DEPS" ${ARGN})
  add_library(kw_${KW_NAME} STATIC ${KW_SRCS})
  target_include_directories(kw_${KW_NAME} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(kw_${KW_NAME} PUBLIC ${KW_DEPS})
endfunction()

# kw_cc_test(NAME n SRCS ... DEPS ...): a GoogleTest binary registered with CTest.
function(kw_cc_test)
  cmake_parse_arguments(KW "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${KW_NAME} ${KW_SRCS})
  target_link_libraries(${KW_NAME} PRIVATE ${KW_DEPS} GTest::gtest GTest::gtest_main GTest::gmock)
  # Test helpers live in tests/testing, out of the components' own folders.
  target_include_directories(${KW_NAME} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  # XDG_CACHE_HOME: what the tests run (kwctl's compiled-code cache) caches in the build tree,
  # not in the home directory of whoever runs them.
  gtest_discover_tests(${KW_NAME} DISCOVERY_TIMEOUT 60
    PROPERTIES ENVIRONMENT "KW_TEST_DATA=${PROJECT_BINARY_DIR}/tests/data;KW_SOURCE_DIR=${PROJECT_SOURCE_DIR};KW_BINARY_DIR=${PROJECT_BINARY_DIR};XDG_CACHE_HOME=${PROJECT_BINARY_DIR}/test-cache")
endfunction()
