// The container images of scripts/build-images.sh, end to end: built and pushed to a real
// registry (Debian's docker-registry on loopback), pulled back with the project's own registry
// client, unpacked with tar(1), and run from the unpacked root as a container runtime would:
// chrooted, as the image's user, with the image's environment, the image's loader and libraries.
// Without root, the binary runs through the image's own loader and libraries instead of chroot.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/files.h"
#include "base/json.h"
#include "oci/artifact.h"
#include "oci/reference.h"
#include "oci/registry.h"
#include "testing/http_client.h"
#include "testing/process.h"
#include "testing/registry.h"
#include "testing/registry_client.h"

namespace kw {
namespace {

namespace fs = std::filesystem;

constexpr char kUser[] = "65533:65533";

struct Pulled {
  std::string reference;  // as the script printed it: registry/repository:tag@digest
  std::string digest;
  json::value manifest;
  json::value config;
  std::string root;  // the layers unpacked, bottom first
};

// An image unpacked on disk, and how to run what is inside it.
class Rootfs {
 public:
  Rootfs(std::string root, json::value config) : root_(std::move(root)), config_(std::move(config)) {}

  static bool Chrooted() { return geteuid() == 0; }

  // `path` (absolute in the image) as the process run by Command() sees it.
  std::string Path(const std::string& path) const { return Chrooted() ? path : root_ + path; }
  std::string HostPath(const std::string& path) const { return root_ + path; }

  // The command that runs `argv` (argv[0] absolute in the image) from the image with its Env.
  std::vector<std::string> Command(const std::vector<std::string>& argv,
                                   const std::vector<std::string>& extra_env = {}) const {
    std::vector<std::string> command = {"/usr/bin/env", "-i"};
    for (const json::value& variable : config_.at("config").at("Env").as_array()) {
      command.emplace_back(variable.as_string());
    }
    command.insert(command.end(), extra_env.begin(), extra_env.end());
    if (Chrooted()) {
      command.insert(command.end(), {"/usr/sbin/chroot", std::string("--userspec=") + kUser, root_});
      command.insert(command.end(), argv.begin(), argv.end());
      return command;
    }
    // The image's loader (its symlinks resolved inside the image) and its library directory.
    command.insert(command.end(), {ResolveInRoot("/lib64/ld-linux-x86-64.so.2"), "--library-path",
                                   root_ + "/usr/lib/x86_64-linux-gnu", root_ + argv[0]});
    command.insert(command.end(), argv.begin() + 1, argv.end());
    return command;
  }

 private:
  // Follows the symlinks of `path` as a lookup inside the root would (absolute targets are
  // relative to the root).
  std::string ResolveInRoot(std::string path) const {
    for (int hops = 0; hops < 40; ++hops) {
      std::string prefix;
      std::istringstream parts(path.substr(1));
      bool followed = false;
      for (std::string part; std::getline(parts, part, '/');) {
        std::string next = prefix + "/" + part;
        if (fs::is_symlink(root_ + next)) {
          std::string target = fs::read_symlink(root_ + next).string();
          std::string rest = path.substr(next.size());
          path = (target.front() == '/' ? target : prefix + "/" + target) + rest;
          path = fs::path(path).lexically_normal().string();
          followed = true;
          break;
        }
        prefix = next;
      }
      if (!followed) return root_ + path;
    }
    ADD_FAILURE() << "symlink loop at " << path;
    return root_ + path;
  }

  std::string root_;
  json::value config_;
};

class ImagesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::HaveDockerRegistry()) GTEST_SKIP() << "docker-registry is not installed";
    registry_ = std::make_unique<testing::TestRegistry>();
    sources_ = testing::WriteTempFile(
        "sources.yaml", "insecure_sources: [\"" + registry_->host() + "\"]\n");
  }

  // Unpacked images are hundreds of MiB: not left behind.
  void TearDown() override {
    std::error_code ignored;
    for (const std::string& dir : cleanup_) fs::remove_all(dir, ignored);
  }

  std::string TempDir() { return cleanup_.emplace_back(testing::MakeTempDir()); }

  // scripts/build-images.sh with `args`, on this build's binaries; its stdout.
  std::string RunScript(std::vector<std::string> args, const std::string& images_dir = "") {
    std::vector<std::string> argv = {"/usr/bin/env", "KW_BUILD_DIR=" + testing::BuildDir()};
    if (!images_dir.empty()) argv.push_back("KW_IMAGES_DIR=" + images_dir);
    argv.insert(argv.end(), {"/bin/bash", testing::SourcePath("scripts/build-images.sh")});
    argv.insert(argv.end(), args.begin(), args.end());
    auto run = testing::RunProcess(argv);
    EXPECT_EQ(run.exit_code, 0) << run.err << run.out;
    return run.out;
  }

  // Builds and pushes image `name`, pulls it back and unpacks it.
  Pulled BuildPushPull(const std::string& name) {
    Pulled pulled;
    std::string out = RunScript({"--push", registry_->host() + "/kubewarden", "--tag", "test",
                                 "--sources-path", sources_, name});
    pulled.reference = out.substr(0, out.find(' '));
    std::string expected = registry_->host() + "/kubewarden/" + name + ":test@sha256:";
    EXPECT_TRUE(pulled.reference.starts_with(expected)) << out;
    pulled.digest = pulled.reference.substr(pulled.reference.find('@') + 1);

    oci::RegistryOptions options = testing::TestRegistryOptions(*registry_);
    options.max_blob_bytes = 1ull << 30;
    auto client = testing::TestRegistryClient(options);
    if (!client) return pulled;
    auto ref = oci::ParseReference(registry_->host() + "/kubewarden/" + name + ":test");
    EXPECT_TRUE(ref);
    auto manifest = client->PullManifest(*ref);
    EXPECT_TRUE(manifest) << manifest.error().message;
    if (!manifest) return pulled;
    EXPECT_EQ(manifest->digest, pulled.digest);
    EXPECT_EQ(manifest->content_type, oci::kOciManifestMediaType);
    auto parsed = ParseJson(manifest->bytes);
    EXPECT_TRUE(parsed);
    if (!parsed) return pulled;
    pulled.manifest = *parsed;

    auto descriptor = [](const json::value& d) {
      return oci::Descriptor{StringAt(d, {"mediaType"}), StringAt(d, {"digest"}),
                             d.at("size").to_number<std::uint64_t>()};
    };
    auto config = client->PullBlob(*ref, descriptor(parsed->at("config")));
    EXPECT_TRUE(config) << config.error().message;
    if (!config) return pulled;
    auto config_json = ParseJson(*config);
    EXPECT_TRUE(config_json);
    if (config_json) pulled.config = *config_json;

    pulled.root = TempDir() + "/root";
    fs::create_directories(pulled.root);
    for (const json::value& layer : parsed->at("layers").as_array()) {
      EXPECT_EQ(StringAt(layer, {"mediaType"}), "application/vnd.oci.image.layer.v1.tar+gzip");
      auto blob = client->PullBlob(*ref, descriptor(layer));
      EXPECT_TRUE(blob) << blob.error().message;
      if (!blob) return pulled;
      std::string file = testing::WriteTempFile("layer.tar.gz", *blob);
      auto tar = testing::RunProcess({"/usr/bin/tar", "-xpzf", file, "-C", pulled.root});
      EXPECT_EQ(tar.exit_code, 0) << tar.err;
      fs::remove(file);
    }
    return pulled;
  }

  std::unique_ptr<testing::TestRegistry> registry_;
  std::string sources_;
  std::vector<std::string> cleanup_;
};

std::string Env(const json::value& config) { return ToJson(config.at("config").at("Env")); }

TEST_F(ImagesTest, PolicyServerImageRunsFromItsRoot) {
  Pulled image = BuildPushPull("policy-server");
  ASSERT_FALSE(image.root.empty());
  ASSERT_TRUE(image.config.is_object());

  EXPECT_EQ(StringAt(image.config, {"architecture"}), "amd64");
  EXPECT_EQ(StringAt(image.config, {"os"}), "linux");
  EXPECT_EQ(StringAt(image.config, {"config", "User"}), kUser);
  EXPECT_EQ(ToJson(image.config.at("config").at("Entrypoint")), R"(["/policy-server"])");
  EXPECT_NE(Env(image.config).find("SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"),
            std::string::npos);
  EXPECT_EQ(image.config.at("rootfs").at("diff_ids").as_array().size(),
            image.manifest.at("layers").as_array().size());

  // What the image carries besides the binary.
  auto passwd = ReadFile(image.root + "/etc/passwd");
  ASSERT_TRUE(passwd);
  EXPECT_NE(passwd->find("kubewarden:x:65533:65533:"), std::string::npos) << *passwd;
  EXPECT_TRUE(fs::is_regular_file(image.root + "/etc/ssl/certs/ca-certificates.crt"));
  EXPECT_TRUE(fs::is_regular_file(image.root + "/usr/share/zoneinfo/Europe/Paris"));
  EXPECT_EQ(fs::status(image.root + "/tmp").permissions(), fs::perms(01777));

  Rootfs rootfs(image.root, image.config);
  auto help = testing::RunProcess(rootfs.Command({"/policy-server", "--help"}));
  EXPECT_EQ(help.exit_code, 0) << help.err;
  EXPECT_NE(help.out.find("Usage: policy-server"), std::string::npos) << help.out;

  // Serving: a policy from the build tree, configured as the controller configures a
  // policy-server Deployment (policy-server.md §2.1: KUBEWARDEN_* variables, /config, /tmp).
  fs::create_directories(rootfs.HostPath("/config"));
  fs::create_directories(rootfs.HostPath("/policies"));
  fs::copy_file(testing::BuildDir() + "/policies/pod-privileged.wasm",
                rootfs.HostPath("/policies/pod-privileged.wasm"));
  std::ofstream(rootfs.HostPath("/config/policies.yml"))
      << R"({"privileged":{"module":"file://)" << rootfs.Path("/policies/pod-privileged.wasm")
      << R"(","policyMode":"protect","allowedToMutate":false,"settings":{}}})";
  int port = testing::FreeLoopbackPort();
  int readiness_port = testing::FreeLoopbackPort();
  testing::ChildProcess server(rootfs.Command(
      {"/policy-server", "--addr", "127.0.0.1", "--workers", "1"},
      {"KUBEWARDEN_PORT=" + std::to_string(port),
       "KUBEWARDEN_READINESS_PROBE_PORT=" + std::to_string(readiness_port),
       "KUBEWARDEN_POLICIES=" + rootfs.Path("/config/policies.yml"),
       "KUBEWARDEN_POLICIES_DOWNLOAD_DIR=" + rootfs.Path("/tmp"),
       "KUBEWARDEN_SIGSTORE_CACHE_DIR=" + rootfs.Path("/tmp/sigstore-data")}));
  std::string base = "http://127.0.0.1:";
  bool ready = testing::Eventually(
      [&] {
        testing::HttpOptions get;
        get.method = "GET";
        return testing::Http(base + std::to_string(readiness_port) + "/readiness", get).status ==
               200;
      },
      std::chrono::seconds(60));
  ASSERT_TRUE(ready) << server.Stderr() << server.Stdout();

  auto review = [&](const std::string& body) {
    testing::HttpOptions post;
    post.body = body;
    auto answer = testing::Http(base + std::to_string(port) + "/validate/privileged", post);
    EXPECT_EQ(answer.status, 200) << answer.error << answer.body;
    auto parsed = ParseJson(answer.body);
    EXPECT_TRUE(parsed) << answer.body;
    return parsed ? *parsed : json::value();
  };
  json::value rejected = review(testing::RequestFile("pod_privileged.json"));
  ASSERT_TRUE(rejected.is_object());
  EXPECT_FALSE(rejected.at("response").at("allowed").as_bool()) << ToJson(rejected);
  json::value accepted = review("{\"request\":" + testing::RequestFile("pod_plain.json") + "}");
  ASSERT_TRUE(accepted.is_object());
  EXPECT_TRUE(accepted.at("response").at("allowed").as_bool()) << ToJson(accepted);
}

TEST_F(ImagesTest, ControllerImageRunsAsTheChartCallsIt) {
  if (!fs::exists(testing::ControllerBinary())) GTEST_SKIP() << "kubewarden-controller is not built";
  Pulled image = BuildPushPull("controller");
  ASSERT_FALSE(image.root.empty());
  ASSERT_TRUE(image.config.is_object());
  EXPECT_EQ(StringAt(image.config, {"config", "User"}), kUser);
  EXPECT_EQ(ToJson(image.config.at("config").at("Entrypoint")), R"(["/manager"])");

  Rootfs rootfs(image.root, image.config);
  auto help = testing::RunProcess(rootfs.Command({"/manager", "--help"}));
  EXPECT_EQ(help.exit_code, 0) << help.err;
  EXPECT_NE(help.out.find("Usage: kubewarden-controller"), std::string::npos) << help.out;
  EXPECT_EQ(fs::read_symlink(image.root + "/kubewarden-controller"), "manager");
}

TEST_F(ImagesTest, LayoutsAreReproducibleAndMatchThePushedImage) {
  Pulled pushed = BuildPushPull("kwctl");
  ASSERT_FALSE(pushed.digest.empty());
  std::string dir = TempDir();
  std::string out = RunScript({"--tag", "test", "kwctl"}, dir);
  EXPECT_NE(out.find("kwctl:test@" + pushed.digest), std::string::npos) << out;

  auto index = ParseJson(ReadFile(dir + "/kwctl/index.json").value_or(""));
  ASSERT_TRUE(index);
  EXPECT_EQ(StringAt(index->at("manifests").at(0), {"digest"}), pushed.digest);
  EXPECT_TRUE(fs::exists(dir + "/kwctl/blobs/sha256/" + pushed.digest.substr(7)));

  Rootfs rootfs(pushed.root, pushed.config);
  auto version = testing::RunProcess(rootfs.Command({"/kwctl", "--version"}));
  EXPECT_EQ(version.exit_code, 0) << version.err;
  EXPECT_TRUE(version.out.starts_with("kwctl ")) << version.out;
}

}  // namespace
}  // namespace kw
