#include "oci/credentials.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "base/base64.h"
#include "base/files.h"
#include "base/json.h"

extern char** environ;

namespace kw::oci {
namespace {

constexpr std::size_t kMaxHelperOutput = 64u << 10;

std::optional<std::string> StringAt(const json::value& v, std::string_view key) {
  const json::value* found = FindKey(v, key);
  if (found == nullptr || !found->is_string()) return std::nullopt;
  return std::string(found->as_string());
}

// Runs `docker-credential-<helper> get` with `server` on stdin; nullopt on any failure.
std::optional<Credentials> RunHelper(const std::string& helper, std::string_view server) {
  // A helper name is a suffix of a program name: nothing that could name another path.
  if (helper.empty() || helper.find('/') != std::string::npos) return std::nullopt;
  const std::string program = "docker-credential-" + helper;
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0) return std::nullopt;
  if (pipe2(out, O_CLOEXEC) != 0) {
    close(in[0]);
    close(in[1]);
    return std::nullopt;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  std::vector<char*> argv = {const_cast<char*>(program.c_str()), const_cast<char*>("get"), nullptr};
  pid_t pid = -1;
  const int spawned = posix_spawnp(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(in[0]);
  close(out[1]);
  if (spawned != 0) {
    close(in[1]);
    close(out[0]);
    spdlog::warn("cannot run the docker credential helper {}: {}", program, std::strerror(spawned));
    return std::nullopt;
  }
  // A helper that exits without reading would raise SIGPIPE, whose default action kills us:
  // block it for this thread and drop any pending one.
  {
    sigset_t pipe_signal, previous;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_signal, &previous);
    const std::string input(server);
    (void)!write(in[1], input.data(), input.size());
    const timespec zero{};
    sigtimedwait(&pipe_signal, nullptr, &zero);
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  }
  close(in[1]);
  std::string output;
  char buffer[4096];
  while (output.size() <= kMaxHelperOutput) {
    const ssize_t n = read(out[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    output.append(buffer, static_cast<std::size_t>(n));
  }
  close(out[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || output.size() > kMaxHelperOutput) {
    spdlog::warn("the docker credential helper {} found no credentials for {}", program, server);
    return std::nullopt;
  }
  auto answer = ParseJson(output, "docker credential helper output");
  if (!answer) return std::nullopt;
  auto username = StringAt(*answer, "Username");
  auto secret = StringAt(*answer, "Secret");
  if (!username || !secret) return std::nullopt;
  if (*username == "<token>") {
    spdlog::warn("identity tokens are not supported: accessing {} anonymously", server);
    return std::nullopt;
  }
  return Credentials{std::move(*username), std::move(*secret)};
}

std::optional<Credentials> FromAuthEntry(const json::value& entry, std::string_view host) {
  if (auto auth = StringAt(entry, "auth"); auth && !auth->empty()) {
    auto decoded = Base64Decode(*auth);
    const std::size_t colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos) {
      spdlog::warn("docker config: the auth entry for {} is not base64 'user:password'", host);
      return std::nullopt;
    }
    return Credentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
  }
  auto username = StringAt(entry, "username");
  auto password = StringAt(entry, "password");
  if (username && password) return Credentials{std::move(*username), std::move(*password)};
  if (StringAt(entry, "identitytoken")) {
    spdlog::warn("identity tokens are not supported: accessing {} anonymously", host);
  }
  return std::nullopt;
}

}  // namespace

std::string DefaultDockerConfigDir() {
  if (const char* dir = std::getenv("DOCKER_CONFIG"); dir != nullptr && *dir != '\0') return dir;
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return std::string(home) + "/.docker";
  }
  return "";
}

std::optional<Credentials> LookupCredentials(std::string_view host,
                                             const std::string& docker_config_dir) {
  if (docker_config_dir.empty()) return std::nullopt;
  const std::string path = docker_config_dir + "/config.json";
  auto text = ReadConfigFile(path);
  if (!text) {
    if (text.error().kind != ErrorKind::kNotFound) spdlog::warn("{}", text.error().message);
    return std::nullopt;
  }
  auto config = ParseJson(*text, path);
  if (!config) {
    spdlog::warn("{}", config.error().message);
    return std::nullopt;
  }
  std::vector<std::string> keys = {std::string(host)};
  if (host == "docker.io" || host == "index.docker.io") {
    keys = {"https://index.docker.io/v1/", "docker.io", "index.docker.io"};
  }
  for (const std::string& key : keys) {
    if (auto helper = StringAt(
            FindKey(*config, "credHelpers") ? *FindKey(*config, "credHelpers") : json::value(),
            key)) {
      return RunHelper(*helper, key);
    }
  }
  if (const json::value* auths = FindKey(*config, "auths")) {
    for (const std::string& key : keys) {
      if (const json::value* entry = FindKey(*auths, key)) {
        if (auto found = FromAuthEntry(*entry, key)) return found;
      }
    }
  }
  if (auto store = StringAt(*config, "credsStore"); store && !store->empty()) {
    return RunHelper(*store, keys.front());
  }
  return std::nullopt;
}

}  // namespace kw::oci
