// Layers, images and layouts through the public interfaces; archives are read back with GNU tar,
// an implementation independent of ours.
#include "image/image.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <algorithm>
#include <fstream>
#include <sstream>

#include "base/files.h"
#include "base/json.h"
#include "image/rootfs.h"
#include "testing/process.h"

namespace kw::image {
namespace {

namespace fs = std::filesystem;

std::string Write(const std::string& path, const std::string& content, fs::perms mode) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << content;
  fs::permissions(path, mode);
  return path;
}

std::string Read(const std::string& path) {
  auto bytes = ReadFile(path);
  EXPECT_TRUE(bytes) << path;
  return bytes ? *bytes : "";
}

// A host tree to copy from: a regular file, a symlinked directory, a relative symlink.
class ImageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    host_ = testing::MakeTempDir();
    Write(host_ + "/real/lib/libx.so.1.2", "library bytes", fs::perms(0755));
    fs::create_directory_symlink("real/lib", host_ + "/lib");
    fs::create_symlink("libx.so.1.2", host_ + "/real/lib/libx.so.1");
    Write(host_ + "/data/zone/Europe/Paris", "TZif", fs::perms(0644));
    fs::create_symlink("Europe/Paris", host_ + "/data/zone/CET");
    Write(host_ + "/app", std::string(3000, 'a'), fs::perms(0700));
  }

  std::string Description() const {
    return "# a comment\n"
           "dir /tmp mode=1777\n"
           "dir /home/user owner=65533:65533\n"
           "file /app " + host_ + "/app mode=0755  # trailing comment\n"
           "copy " + host_ + "/lib/libx.so.1\n"
           "tree /usr/share/zoneinfo " + host_ + "/data/zone\n"
           "symlink /bin/app ../app\n"
           "file /" + std::string(120, 'n') + "/" + std::string(130, 'f') + " " + host_ + "/app\n";
  }

  Layer BuildFrom(const std::string& description) {
    RootFs rootfs;
    auto added = AddDescription(rootfs, description);
    EXPECT_TRUE(added) << added.error().message;
    auto layer = BuildLayer(rootfs);
    EXPECT_TRUE(layer) << layer.error().message;
    return layer ? *layer : Layer{};
  }

  // Unpacks `layer` with tar(1) into a fresh directory, modes kept even without root.
  std::string Unpack(const Layer& layer) {
    std::string dir = testing::MakeTempDir();
    std::string blob = testing::WriteTempFile("layer.tar.gz", layer.blob);
    auto tar = testing::RunProcess({"/usr/bin/tar", "-xpzf", blob, "-C", dir});
    EXPECT_EQ(tar.exit_code, 0) << tar.err;
    return dir;
  }

  std::string host_;
};

TEST_F(ImageTest, LayerUnpacksWithModesOwnersSymlinksAndLongNames) {
  Layer layer = BuildFrom(Description());
  std::string root = Unpack(layer);

  EXPECT_EQ(Read(root + "/app"), std::string(3000, 'a'));
  EXPECT_EQ(fs::status(root + "/app").permissions(), fs::perms(0755));
  EXPECT_EQ(fs::status(root + "/tmp").permissions(), fs::perms(01777));
  EXPECT_EQ(fs::read_symlink(root + "/bin/app"), "../app");
  EXPECT_EQ(Read(root + "/bin/app"), std::string(3000, 'a'));
  // `copy` keeps each symlink met on the way, with the host's relative path, down to the file.
  std::string lib = root + host_;
  EXPECT_EQ(fs::read_symlink(lib + "/lib"), "real/lib");
  EXPECT_EQ(fs::read_symlink(lib + "/real/lib/libx.so.1"), "libx.so.1.2");
  EXPECT_EQ(Read(lib + "/lib/libx.so.1"), "library bytes");
  EXPECT_EQ(fs::status(lib + "/real/lib/libx.so.1.2").permissions(), fs::perms(0755));
  EXPECT_EQ(fs::read_symlink(root + "/usr/share/zoneinfo/CET"), "Europe/Paris");
  EXPECT_EQ(Read(root + "/usr/share/zoneinfo/Europe/Paris"), "TZif");
  // Past ustar's 100-byte names, a PAX header carries the path.
  EXPECT_EQ(Read(root + "/" + std::string(120, 'n') + "/" + std::string(130, 'f')).size(), 3000u);
  if (geteuid() == 0) {  // tar restores owners only for root
    struct stat st{};
    ASSERT_EQ(stat((root + "/home/user").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 65533u);
    EXPECT_EQ(st.st_gid, 65533u);
    ASSERT_EQ(stat((root + "/app").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 0u);
  }
}

TEST_F(ImageTest, ListingIsSortedWithFixedTimes) {
  Layer layer = BuildFrom(Description());
  std::string blob = testing::WriteTempFile("layer.tar.gz", layer.blob);
  auto listing = testing::RunProcess({"/usr/bin/tar", "--utc", "-tvzf", blob});
  ASSERT_EQ(listing.exit_code, 0) << listing.err;
  EXPECT_NE(listing.out.find("1970-01-01 00:00 app\n"), std::string::npos) << listing.out;
  EXPECT_EQ(listing.out.find("PaxHeader"), std::string::npos) << "extended headers are not entries";
  auto names = testing::RunProcess({"/usr/bin/tar", "-tzf", blob});
  std::vector<std::string> lines;
  std::istringstream in(names.out);
  for (std::string line; std::getline(in, line);) {
    if (line.ends_with('/')) line.pop_back();  // directories: the order is by path
    lines.push_back(line);
  }
  EXPECT_TRUE(std::is_sorted(lines.begin(), lines.end()));
  EXPECT_EQ(lines.front(), "app");
}

TEST_F(ImageTest, SameInputsGiveTheSameDigests) {
  Layer first = BuildFrom(Description());
  Layer second = BuildFrom(Description());
  EXPECT_EQ(first.descriptor.digest, second.descriptor.digest);
  EXPECT_EQ(first.diff_id, second.diff_id);
  RuntimeConfig runtime{.user = "65533:65533", .entrypoint = {"/app"}};
  EXPECT_EQ(AssembleImage(runtime, {first}).manifest_descriptor.digest,
            AssembleImage(runtime, {second}).manifest_descriptor.digest);

  Write(host_ + "/app", std::string(3000, 'b'), fs::perms(0755));
  EXPECT_NE(BuildFrom(Description()).diff_id, first.diff_id);
}

TEST_F(ImageTest, ConfigAndManifestDescribeTheLayers) {
  Layer layer = BuildFrom(Description());
  RuntimeConfig runtime{.user = "65533:65533",
                        .entrypoint = {"/app", "--flag"},
                        .env = {"PATH=/usr/bin"},
                        .working_dir = "/",
                        .exposed_ports = {"3000/tcp"}};
  Image image = AssembleImage(runtime, {layer});
  auto config = ParseJson(image.config);
  ASSERT_TRUE(config);
  EXPECT_EQ(StringAt(*config, {"architecture"}), "amd64");
  EXPECT_EQ(StringAt(*config, {"os"}), "linux");
  EXPECT_EQ(StringAt(*config, {"config", "User"}), "65533:65533");
  EXPECT_EQ(ToJson(config->at("config").at("Entrypoint")), R"(["/app","--flag"])");
  EXPECT_EQ(ToJson(config->at("config").at("ExposedPorts")), R"({"3000/tcp":{}})");
  EXPECT_EQ(ToJson(config->at("rootfs")),
            R"({"diff_ids":[")" + layer.diff_id + R"("],"type":"layers"})");

  auto manifest = ParseJson(image.manifest);
  ASSERT_TRUE(manifest);
  EXPECT_EQ(StringAt(*manifest, {"mediaType"}), "application/vnd.oci.image.manifest.v1+json");
  EXPECT_EQ(StringAt(*manifest, {"config", "digest"}), image.config_descriptor.digest);
  EXPECT_EQ(StringAt(*manifest, {"config", "mediaType"}), kConfigMediaType);
  const auto& layers = manifest->at("layers").as_array();
  ASSERT_EQ(layers.size(), 1u);
  EXPECT_EQ(StringAt(layers[0], {"digest"}), layer.descriptor.digest);
  EXPECT_EQ(StringAt(layers[0], {"mediaType"}), kLayerMediaType);
  EXPECT_EQ(layers[0].at("size").to_number<std::uint64_t>(), layer.blob.size());
}

TEST_F(ImageTest, LayoutHoldsEveryBlobUnderItsDigest) {
  Image image = AssembleImage({.entrypoint = {"/app"}}, {BuildFrom(Description())});
  std::string dir = testing::MakeTempDir() + "/layout";
  auto written = WriteImageLayout(image, dir, "v1");
  ASSERT_TRUE(written) << written.error().message;
  EXPECT_EQ(Read(dir + "/oci-layout"), R"({"imageLayoutVersion":"1.0.0"})");
  auto index = ParseJson(Read(dir + "/index.json"));
  ASSERT_TRUE(index);
  const auto& entry = index->at("manifests").at(0);
  EXPECT_EQ(StringAt(entry, {"annotations", "org.opencontainers.image.ref.name"}), "v1");
  std::string digest = StringAt(entry, {"digest"});
  EXPECT_EQ(digest, image.manifest_descriptor.digest);
  for (const std::string& blob : {digest, image.config_descriptor.digest,
                                  image.layers[0].descriptor.digest}) {
    std::string bytes = Read(dir + "/blobs/sha256/" + blob.substr(7));
    EXPECT_EQ(oci::Sha256DigestOf(bytes), blob);
  }
}

TEST_F(ImageTest, DescriptionErrorsNameTheLine) {
  auto error = [&](const std::string& description) {
    RootFs rootfs;
    auto added = AddDescription(rootfs, description);
    EXPECT_FALSE(added) << description;
    return added ? std::string() : added.error().message;
  };
  EXPECT_EQ(error("dir /a\nsymlink /b a\nfile /b/c " + host_ + "/app\n"),
            "line 3: '/b/c' lies under the symlink '/b'");
  EXPECT_EQ(error("file /a " + host_ + "/app\nfile /a/b " + host_ + "/app"),
            "line 2: '/a/b' lies under the file '/a'");
  EXPECT_EQ(error("dir /a mode=0700\ndir /a mode=0755"), "line 2: '/a' is declared twice, differently");
  EXPECT_EQ(error("link /a /b"), "line 1: unknown entry kind 'link'");
  EXPECT_EQ(error("dir /a mode=9"), "line 1: invalid mode '9'");
  EXPECT_EQ(error("dir /a owner=1"), "line 1: owner '1' is not <uid>:<gid>");
  EXPECT_EQ(error("dir a"), "line 1: 'a' is not a normalised absolute path");
  EXPECT_EQ(error("dir /a/../b"), "line 1: '/a/../b' has a '.' or '..' component");
  EXPECT_EQ(error("copy " + host_ + "/real"),
            "line 1: " + host_ + "/real is a directory ('tree' copies directories)");
  EXPECT_EQ(error("tree /x " + host_ + "/app"), "line 1: " + host_ + "/app is not a directory");
  EXPECT_EQ(error("symlink /a"), "line 1: 'symlink' takes 2 argument(s)");
  // The same declaration twice is one entry; a parent made implicitly takes a later declaration.
  RootFs rootfs;
  ASSERT_TRUE(AddDescription(rootfs, "dir /a/b\ndir /a/b\ndir /a mode=0700\n"));
  EXPECT_EQ(rootfs.entries().at("/a").mode, 0700u);
}

TEST_F(ImageTest, SymlinkLoopsAreRefused) {
  fs::create_symlink("loop2", host_ + "/loop1");
  fs::create_symlink("loop1", host_ + "/loop2");
  RootFs rootfs;
  auto copied = rootfs.CopyHostPath(host_ + "/loop1");
  ASSERT_FALSE(copied);
  EXPECT_EQ(copied.error().message, host_ + "/loop1: too many levels of symbolic links");
}

}  // namespace
}  // namespace kw::image
