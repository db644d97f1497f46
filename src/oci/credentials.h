// Registry credentials from docker's config.json (tooling.md §2.3), as upstream's
// docker_credential crate reads them:
//   auths.<host>.auth                base64 "user:password" (or auths.<host>.username/password)
//   credHelpers.<host>               run `docker-credential-<helper> get`
//   credsStore                       the same, for every host
// `host` is host[:port] as written in the reference; Docker Hub is also looked up under its
// historical key "https://index.docker.io/v1/". Identity tokens are not supported. Upstream falls
// back to anonymous access on any lookup failure; so do we, with a warning in the log.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kw::oci {

struct Credentials {
  std::string username;
  std::string password;
};

// $DOCKER_CONFIG, else ~/.docker (empty when neither is known).
std::string DefaultDockerConfigDir();

// The credentials for `host` in `<docker_config_dir>/config.json`, or nullopt (anonymous).
std::optional<Credentials> LookupCredentials(std::string_view host,
                                             const std::string& docker_config_dir);

}  // namespace kw::oci
