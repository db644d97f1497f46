// Test helper: registry settings and a client for a TestRegistry (registry.h), as the tests that
// push to it and read from it through the project's own oci::RegistryClient need them.
#pragma once

#include <memory>

#include "oci/registry.h"
#include "testing/registry.h"

namespace kw::testing {

// Settings that reach `registry` over plain HTTP (declared an insecure source), with an empty
// docker config directory so that the user's own credentials are never used.
oci::RegistryOptions TestRegistryOptions(const TestRegistry& registry);

// A client with TestRegistryOptions(registry). Fails the calling test (and returns null) when it
// cannot be created.
std::unique_ptr<oci::RegistryClient> TestRegistryClient(const oci::RegistryOptions& options);

}  // namespace kw::testing
