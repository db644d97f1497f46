// kw-image: assembles an OCI container image from layer descriptions (image/rootfs.h) and
// writes it as an OCI image layout or pushes it to a registry. No container engine needed.
// scripts/build-images.sh drives it for the project's binaries.
//
//   kw-image --layer base.txt --layer app.txt --entrypoint /policy-server --user 65533:65533
//            --env PATH=/usr/bin --workdir / (--layout DIR [--tag TAG] | --push REF)
//
// Prints the manifest digest on stdout, a line per layer on stderr.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <fmt/format.h>
#include <map>
#include <string>
#include <vector>

#include "base/files.h"
#include "image/image.h"
#include "oci/sources.h"

namespace {

int Fail(const kw::Error& error) {
  std::fprintf(stderr, "kw-image: %s\n", error.message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("Assembles an OCI container image and writes or pushes it", "kw-image");
  std::vector<std::string> layers;
  kw::image::RuntimeConfig runtime;
  std::vector<std::string> labels;
  std::string layout;
  std::string tag = "latest";
  std::string push;
  std::string sources_path;
  std::string docker_config_dir = kw::oci::DefaultDockerConfigDir();
  app.add_option("--layer", layers, "A layer description file, bottom layer first")->required();
  app.add_option("--entrypoint", runtime.entrypoint, "Entrypoint, one flag per word");
  app.add_option("--cmd", runtime.cmd, "Cmd, one flag per word");
  app.add_option("--user", runtime.user, "User, <uid>:<gid>");
  app.add_option("--env", runtime.env, "An environment variable, NAME=value");
  app.add_option("--workdir", runtime.working_dir, "WorkingDir");
  app.add_option("--expose", runtime.exposed_ports, "An exposed port, <port>/tcp");
  app.add_option("--label", labels, "A label, key=value");
  auto* layout_flag = app.add_option("--layout", layout, "Write an OCI image layout to this directory");
  app.add_option("--tag", tag, "The layout's reference name")->needs(layout_flag);
  auto* push_flag = app.add_option("--push", push, "Push to this reference, registry/repository:tag");
  app.add_option("--sources-path", sources_path, "sources.yaml (insecure registries, CAs) for --push");
  app.add_option("--docker-config-dir", docker_config_dir, "Where docker's config.json is");
  layout_flag->excludes(push_flag);
  CLI11_PARSE(app, argc, argv);
  if (layout.empty() && push.empty()) {
    std::fprintf(stderr, "kw-image: one of --layout and --push is required\n");
    return 2;
  }
  for (const std::string& label : labels) {
    std::size_t eq = label.find('=');
    if (eq == std::string::npos) {
      std::fprintf(stderr, "kw-image: label '%s' is not key=value\n", label.c_str());
      return 2;
    }
    runtime.labels[label.substr(0, eq)] = label.substr(eq + 1);
  }

  std::vector<kw::image::Layer> built;
  for (const std::string& path : layers) {
    auto description = kw::ReadConfigFile(path);
    if (!description) return Fail(description.error());
    kw::image::RootFs rootfs;
    if (auto ok = kw::image::AddDescription(rootfs, *description); !ok) {
      return Fail(ok.error().Wrap(path));
    }
    auto layer = kw::image::BuildLayer(rootfs);
    if (!layer) return Fail(layer.error().Wrap(path));
    std::fprintf(stderr, "%s: %zu entries, tar %.1f MiB, gzip %.1f MiB, %s\n", path.c_str(),
                 rootfs.entries().size(), layer->tar_bytes / 1048576.0,
                 layer->blob.size() / 1048576.0, layer->descriptor.digest.c_str());
    built.push_back(std::move(*layer));
  }
  kw::image::Image image = kw::image::AssembleImage(runtime, std::move(built));

  if (!layout.empty()) {
    if (auto ok = kw::image::WriteImageLayout(image, layout, tag); !ok) return Fail(ok.error());
    std::printf("%s\n", image.manifest_descriptor.digest.c_str());
    return 0;
  }
  auto ref = kw::oci::ParseReference(push);
  if (!ref) return Fail(ref.error());
  kw::oci::RegistryOptions options;
  options.docker_config_dir = docker_config_dir;
  if (!sources_path.empty()) {
    auto sources = kw::oci::LoadSources(sources_path);
    if (!sources) return Fail(sources.error());
    options.sources = std::move(*sources);
  }
  auto client = kw::oci::RegistryClient::Create(std::move(options));
  if (!client) return Fail(client.error());
  auto digest = kw::image::PushImage(**client, *ref, image);
  if (!digest) return Fail(digest.error());
  std::printf("%s\n", digest->c_str());
  return 0;
}
