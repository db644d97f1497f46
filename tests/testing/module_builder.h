// Test helper: builds small, valid WebAssembly modules byte by byte, so that policy tests do not
// depend on a toolchain or on fixture files. Every function is `() -> ()` with an empty body.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "wasm/encoding.h"

namespace kw::policy::testing {

class ModuleBuilder {
 public:
  ModuleBuilder& ImportFunction(std::string module, std::string name) {
    imports_.emplace_back(std::move(module), std::move(name));
    return *this;
  }
  ModuleBuilder& ExportFunction(std::string name) {
    exports_.push_back(std::move(name));
    return *this;
  }
  // Custom sections are written after the standard ones, in the order they were added.
  ModuleBuilder& CustomSection(std::string name, std::string payload) {
    customs_.emplace_back(std::move(name), std::move(payload));
    return *this;
  }

  std::vector<std::uint8_t> Build() const {
    std::vector<std::uint8_t> out = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
    wasm::PutSection(out, 1, {0x01, 0x60, 0x00, 0x00});  // one type: () -> ()
    if (!imports_.empty()) {
      std::vector<std::uint8_t> body;
      wasm::PutU32(body, imports_.size());
      for (const auto& [module, name] : imports_) {
        wasm::PutName(body, module);
        wasm::PutName(body, name);
        body.push_back(0x00);  // function
        body.push_back(0x00);  // type 0
      }
      wasm::PutSection(out, 2, body);
    }
    if (!exports_.empty()) {
      std::vector<std::uint8_t> functions;
      wasm::PutU32(functions, exports_.size());
      for (std::size_t i = 0; i < exports_.size(); ++i) functions.push_back(0x00);
      wasm::PutSection(out, 3, functions);
      std::vector<std::uint8_t> exports;
      wasm::PutU32(exports, exports_.size());
      for (std::size_t i = 0; i < exports_.size(); ++i) {
        wasm::PutName(exports, exports_[i]);
        exports.push_back(0x00);
        wasm::PutU32(exports, imports_.size() + i);  // imported functions come first in the index space
      }
      wasm::PutSection(out, 7, exports);
      std::vector<std::uint8_t> code;
      wasm::PutU32(code, exports_.size());
      for (std::size_t i = 0; i < exports_.size(); ++i) {
        code.insert(code.end(), {0x02, 0x00, 0x0b});  // size 2: no locals, end
      }
      wasm::PutSection(out, 10, code);
    }
    for (const auto& [name, payload] : customs_) {
      std::vector<std::uint8_t> body;
      wasm::PutName(body, name);
      body.insert(body.end(), payload.begin(), payload.end());
      wasm::PutSection(out, 0, body);
    }
    return out;
  }

 private:
  std::vector<std::pair<std::string, std::string>> imports_;
  std::vector<std::string> exports_;
  std::vector<std::pair<std::string, std::string>> customs_;
};

}  // namespace kw::policy::testing
