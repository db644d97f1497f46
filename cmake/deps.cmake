# Third-party dependencies, all from Debian packages (scripts/setup.sh installs them).
find_package(Threads REQUIRED)
find_package(Boost 1.81 REQUIRED COMPONENTS json)
# simdjson validates request bodies (src/admission/request.cc); Debian ships its CMake config.
find_package(simdjson REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(spdlog REQUIRED)
find_package(fmt REQUIRED)
find_package(CLI11 REQUIRED)
find_package(OpenSSL REQUIRED)
if(KW_BUILD_TESTS)
  find_package(GTest REQUIRED)
  find_package(CURL REQUIRED)  # the HTTP(S) client of the integration tests
  include(GoogleTest)
endif()
if(KW_BUILD_BENCHMARKS)
  find_package(benchmark REQUIRED)
endif()

# V8 from Debian's libnode108, unpacked into .deps/v8 by scripts/setup.sh.
set(KW_V8_ROOT "${PROJECT_SOURCE_DIR}/.deps/v8/usr" CACHE PATH "prefix holding include/node and lib/x86_64-linux-gnu/libnode.so")
if(NOT EXISTS "${KW_V8_ROOT}/include/node/v8.h")
  message(FATAL_ERROR "V8 headers not found under ${KW_V8_ROOT}: run scripts/setup.sh first")
endif()
add_library(kw_v8_sdk INTERFACE)
target_include_directories(kw_v8_sdk SYSTEM INTERFACE "${KW_V8_ROOT}/include/node")
target_link_libraries(kw_v8_sdk INTERFACE "${KW_V8_ROOT}/lib/x86_64-linux-gnu/libnode.so.108")
set(CMAKE_BUILD_RPATH "${KW_V8_ROOT}/lib/x86_64-linux-gnu")
set(CMAKE_INSTALL_RPATH "${KW_V8_ROOT}/lib/x86_64-linux-gnu")
