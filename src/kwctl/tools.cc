// kwctl inspect, annotate, info and scaffold admission-request.
#include <cstdio>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "admission/scaffold.h"
#include "base/files.h"
#include "base/strings.h"
#include "base/yaml.h"
#include "engine/v8/v8_engine.h"
#include "kwctl/commands.h"
#include "kwctl/paths.h"
#include "oci/store.h"
#include "policy/annotate.h"
#include "runtime/opa/builtins.h"
#include "runtime/runtime.h"

namespace kw::kwctl {
namespace {

constexpr std::string_view kVersion = KW_VERSION;

void Print(std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

// Indented JSON, as serde_json's pretty printer lays it out (two spaces).
void PrettyJson(std::string& out, const json::value& v, int indent) {
  std::string pad(static_cast<std::size_t>(indent + 2), ' ');
  std::string close(static_cast<std::size_t>(indent), ' ');
  if (const auto* o = v.if_object(); o && !o->empty()) {
    out += "{\n";
    bool first = true;
    for (const auto& [k, x] : *o) {
      if (!first) out += ",\n";
      first = false;
      out += pad + json::serialize(json::string(k)) + ": ";
      PrettyJson(out, x, indent + 2);
    }
    out += "\n" + close + "}";
  } else if (const auto* a = v.if_array(); a && !a->empty()) {
    out += "[\n";
    for (std::size_t i = 0; i < a->size(); ++i) {
      if (i) out += ",\n";
      out += pad;
      PrettyJson(out, (*a)[i], indent + 2);
    }
    out += "\n" + close + "]";
  } else {
    out += json::serialize(v);
  }
}

}  // namespace

Result<void> Annotate(const AnnotateFlags& flags) {
  KW_ASSIGN_OR_RETURN(std::vector<std::uint8_t> wasm, oci::ReadModuleFile(flags.wasm_path));
  KW_ASSIGN_OR_RETURN(std::string metadata_text, ReadConfigFile(flags.metadata_path));
  auto metadata = policy::MetadataFromYaml(metadata_text);
  if (!metadata) return std::unexpected(metadata.error().Wrap(flags.metadata_path));
  std::optional<std::string> usage;
  if (flags.usage_path) {
    KW_ASSIGN_OR_RETURN(usage, ReadConfigFile(*flags.usage_path));
  }

  std::optional<std::string> protocol_version;
  if (metadata->execution_mode == policy::ExecutionMode::kKubewardenWapc) {
    // Ask the guest itself, as upstream does: the metadata must say what the module speaks.
    KW_ASSIGN_OR_RETURN(auto engine, engine::CreateV8Engine());
    KW_ASSIGN_OR_RETURN(auto worker, engine->CreateWorker());
    auto module = runtime::LoadPolicyModule(*engine, wasm, policy::ExecutionMode::kKubewardenWapc);
    if (!module) return std::unexpected(module.error().Wrap("cannot load " + flags.wasm_path));
    evaluator::Evaluator evaluator(*worker, std::make_shared<const host::Dispatcher>());
    evaluator::Policy policy;
    policy.config.id = "annotate";
    policy.config.timeout = std::chrono::seconds(10);
    policy.module = *module;
    auto version = evaluator.ProtocolVersion(policy);
    if (!version) {
      return std::unexpected(version.error().Wrap(
          "cannot get the protocol version of " + flags.wasm_path + " (its `protocol_version` waPC call failed)"));
    }
    protocol_version = *version;
  }
  KW_ASSIGN_OR_RETURN(std::vector<std::uint8_t> annotated,
                      policy::Annotate(wasm, std::move(*metadata), protocol_version, usage, kVersion));
  return WriteFile(flags.output_path,
                   AsText(annotated));
}

Result<void> Info() {
  std::string out = fmt::format("kwctl version: {}\n\n", kVersion);
  // The builtins Rego policies may leave to the host (upstream prints the same list).
  out += "Open Policy Agent/Gatekeeper implemented builtins:\n";
  for (const std::string& name : runtime::opa::BuiltinNames()) out += fmt::format("  - {}\n", name);
  out += "\n";
  out += fmt::format("Policy store: {}\n", StoreRoot());
  out += fmt::format("Config directory: {}\n", ConfigDir());
  out += fmt::format("kwctl cache directory: {}\n", KwctlCacheDir());
  out += fmt::format("Compiled-code cache: {}\n", CompiledCacheDir());
  out += fmt::format("WebAssembly engine: {}\n", engine::V8Version());
  Print(out);
  return {};
}

Result<void> ScaffoldAdmissionRequest(const std::string& operation, const std::string& object_path,
                                      const std::optional<std::string>& old_object_path) {
  KW_ASSIGN_OR_RETURN(std::string text, ReadConfigFile(object_path));
  KW_ASSIGN_OR_RETURN(json::value object, ParseYamlAsJson(text, "invalid object in " + object_path));
  std::optional<json::value> old_object;
  if (old_object_path) {
    KW_ASSIGN_OR_RETURN(std::string old_text, ReadConfigFile(*old_object_path));
    KW_ASSIGN_OR_RETURN(old_object, ParseYamlAsJson(old_text, "invalid object in " + *old_object_path));
  }
  KW_ASSIGN_OR_RETURN(json::value request,
                      admission::ScaffoldAdmissionRequest(operation, object,
                                                          old_object ? &*old_object : nullptr));
  std::string out;
  PrettyJson(out, request, 0);
  out.push_back('\n');
  Print(out);
  return {};
}

}  // namespace kw::kwctl
