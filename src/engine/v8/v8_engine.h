// The V8 implementation of engine::Engine. The only header that names V8; it does not include
// V8's own headers, so nothing above the engine sees them.
//
// V8 is process-wide: the first CreateV8Engine() call initializes it (flags, platform, trap
// handler) and later calls reuse that. Flags are fixed at that point; see v8_engine.cc for why
// each one is set.
#pragma once

#include <memory>

#include "engine/engine.h"

namespace kw::engine {

Result<std::unique_ptr<Engine>> CreateV8Engine(const EngineOptions& options = {});

// The engine's version string ("V8 10.2.154.26-node.39"), for cache keys and `kwctl info`.
std::string V8Version();

}  // namespace kw::engine
