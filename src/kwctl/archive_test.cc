#include "kwctl/archive.h"

#include <gtest/gtest.h>

namespace kw::kwctl {
namespace {

TEST(Archive, TarRoundTripsShortUstarAndLongNames) {
  const std::vector<ArchiveEntry> entries = {
      {"registry/ghcr.io/kubewarden/policies/pod-privileged:v0.2.2",
       std::string("\0asm\1\0\0\0", 8)},
      // Fits ustar's prefix + name fields.
      {"registry/" + std::string(120, 'p') + "/policy:v1", std::string(1000, 'x')},
      // A last segment longer than 100 bytes needs a GNU long name.
      {"https/example.com/" + std::string(150, 'q') + ".wasm", ""},
  };
  const std::string tar = WriteTar(entries);
  EXPECT_EQ(tar.size() % 512, 0u);
  auto read = ReadTar(tar);
  ASSERT_TRUE(read.has_value()) << read.error().message;
  ASSERT_EQ(read->size(), entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ((*read)[i].name, entries[i].name);
    EXPECT_EQ((*read)[i].data, entries[i].data);
  }
}

TEST(Archive, TarRefusesCorruptTruncatedAndLinkEntries) {
  std::string tar = WriteTar({{"registry/h/p:v1", "module"}});
  std::string corrupt = tar;
  corrupt[10] ^= 1;  // in the name: the checksum no longer matches
  EXPECT_EQ(ReadTar(corrupt).error().kind, ErrorKind::kInvalidArgument);
  EXPECT_FALSE(ReadTar(tar.substr(0, 512)).has_value());  // header, then nothing

  std::string link = tar;
  link[156] = '2';  // symlink type; the checksum is recomputed below
  unsigned sum = 0;
  for (std::size_t i = 0; i < 512; ++i)
    sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(link[i]);
  std::snprintf(link.data() + 148, 8, "%06o", sum);
  link[155] = ' ';
  auto refused = ReadTar(link);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message.find("not a regular file"), std::string::npos)
      << refused.error().message;
}

TEST(Archive, GzipRoundTripsAndCapsInflatedSize) {
  const std::string data(200000, 'k');
  auto compressed = Gzip(data);
  ASSERT_TRUE(compressed.has_value());
  EXPECT_EQ(static_cast<unsigned char>((*compressed)[0]), 0x1f);  // gzip magic
  EXPECT_EQ(static_cast<unsigned char>((*compressed)[1]), 0x8b);
  EXPECT_LT(compressed->size(), data.size());
  EXPECT_EQ(Gunzip(*compressed, data.size()).value_or(""), data);
  EXPECT_FALSE(Gunzip(*compressed, data.size() - 1).has_value());
  EXPECT_FALSE(Gunzip("plain text", 100).has_value());
  EXPECT_FALSE(Gunzip(compressed->substr(0, compressed->size() / 2), data.size()).has_value());
}

}  // namespace
}  // namespace kw::kwctl
