// The kwctl subcommands, one function each. They print their results on stdout and return an
// error for main to report; nothing here exits the process.
#pragma once

#include <optional>
#include <string>

#include "base/error.h"
#include "kwctl/session.h"

namespace kw::kwctl {

Result<void> Run(const RunFlags& flags);

struct BenchFlags {
  RunFlags run;
  double warm_up_seconds = 1;
  double measurement_seconds = 3;
  int num_samples = 50;
  bool dump_results_to_disk = false;
};
Result<void> Bench(const BenchFlags& flags);

Result<void> Inspect(const std::string& uri, bool yaml_output);

struct AnnotateFlags {
  std::string wasm_path;
  std::string metadata_path;
  std::string output_path;
  std::optional<std::string> usage_path;
};
Result<void> Annotate(const AnnotateFlags& flags);

Result<void> Info();

Result<void> ScaffoldAdmissionRequest(const std::string& operation, const std::string& object_path,
                                      const std::optional<std::string>& old_object_path);

}  // namespace kw::kwctl
