// A wasm32-wasi command built from src/cel's sources with the policies' flags (see
// src/cel/CMakeLists.txt), run by cel_wasm_test: the same code as the host's, on the target
// where the stack is 64 KiB and there is no zone database.
//
// Reads lines from stdin: "object <json>" binds `object`; any other line is an expression,
// compiled with every extension library (KubernetesLibraries(): linking them checks that the
// wasm32 build has what they need, e.g. the 128-bit division of quantities), answered with one
// line: the result's DebugString, or "compile: <first line of the error>".
#include <cstdio>
#include <string>

#include "cel/libraries.h"
#include "cel/program.h"

int main() {
  kw::cel::MapActivation vars;
  std::string line;
  int c;
  while (true) {
    line.clear();
    while ((c = std::getchar()) != EOF && c != '\n') line += static_cast<char>(c);
    if (line.empty() && c == EOF) break;
    if (line.starts_with("object ")) {
      auto v = kw::cel::ParseJson(line.substr(7));
      std::printf("%s\n", v ? "bound" : v.error().c_str());
      if (v) vars.Bind("object", *v);
      continue;
    }
    kw::cel::CompileOptions options;
    options.functions = &kw::cel::KubernetesLibraries();
    options.parse.enable_optional_syntax = true;
    auto program = kw::cel::Program::Compile(line, options);
    if (!program) {
      std::string error = program.error();
      std::printf("compile: %s\n", error.substr(0, error.find('\n')).c_str());
      continue;
    }
    std::printf("%s\n", kw::cel::DebugString(program->Evaluate(vars)).c_str());
  }
  return 0;
}
