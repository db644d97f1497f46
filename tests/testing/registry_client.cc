#include "testing/registry_client.h"

#include <gtest/gtest.h>

#include "testing/process.h"

namespace kw::testing {

oci::RegistryOptions TestRegistryOptions(const TestRegistry& registry) {
  oci::RegistryOptions options;
  options.sources.insecure_sources.insert(registry.host());
  options.docker_config_dir = MakeTempDir();
  return options;
}

std::unique_ptr<oci::RegistryClient> TestRegistryClient(const oci::RegistryOptions& options) {
  auto client = oci::RegistryClient::Create(options);
  EXPECT_TRUE(client) << client.error().message;
  return client ? std::move(*client) : nullptr;
}

}  // namespace kw::testing
