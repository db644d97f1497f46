#include "kwctl/paths.h"

#include <cstdlib>

namespace kw::kwctl {
namespace {

std::string XdgDir(const char* variable, const char* fallback_below_home) {
  if (const char* v = std::getenv(variable); v != nullptr && v[0] == '/') return v;
  const char* home = std::getenv("HOME");
  return std::string(home ? home : "") + "/" + fallback_below_home;
}

}  // namespace

std::string StoreRoot() { return XdgDir("XDG_CACHE_HOME", ".cache") + "/kubewarden/store"; }
std::string ConfigDir() { return XdgDir("XDG_CONFIG_HOME", ".config") + "/kubewarden"; }
std::string VerificationConfigPath() { return ConfigDir() + "/verification-config.yml"; }
std::string KwctlCacheDir() { return XdgDir("XDG_CACHE_HOME", ".cache") + "/kubewarden/kwctl"; }
std::string CompiledCacheDir() {
  return XdgDir("XDG_CACHE_HOME", ".cache") + "/kubewarden/compiled";
}

}  // namespace kw::kwctl
