// Where kwctl keeps things on disk (tooling.md §1.2), following the XDG base directories.
#pragma once

#include <string>

namespace kw::kwctl {

std::string StoreRoot();       // $XDG_CACHE_HOME/kubewarden/store
std::string ConfigDir();       // $XDG_CONFIG_HOME/kubewarden
std::string VerificationConfigPath();  // <config dir>/verification-config.yml
std::string KwctlCacheDir();   // $XDG_CACHE_HOME/kubewarden/kwctl
std::string CompiledCacheDir();  // $XDG_CACHE_HOME/kubewarden/compiled (loader/code_cache.h)

}  // namespace kw::kwctl
