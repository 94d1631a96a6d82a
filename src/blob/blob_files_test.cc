#include "blob/blob_files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/file_util.h"

namespace kiln::blob {
namespace {

class BlobFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/kiln-files-test-XXXXXX";
    dir_ = mkdtemp(templ);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string read(BlobFiles& f, const std::string& name) { return fs::read_file(f.dir() + "/" + name); }
  std::string dir_;
};

TEST_F(BlobFilesTest, CreateConcatLinkCopy) {
  BlobFiles f(dir_ + "/data", true);
  std::string a = f.create("hello ");
  std::string b = f.create("world");
  std::string joined = f.concat({{a, 0, 6}, {b, 0, 5}, {a, 1, 2}});
  EXPECT_EQ(read(f, joined), "hello worldel");
  std::string linked = f.link(joined);
  f.remove(joined);
  EXPECT_EQ(read(f, linked), "hello worldel");  // a link keeps the bytes alive
  std::string copied = f.copy(linked, 5);
  EXPECT_EQ(read(f, copied), "hello");
  f.write_at(copied, 5, "!!");
  EXPECT_EQ(read(f, copied), "hello!!");
  f.write_at(copied, 7, {BlobFiles::Piece{b, 1, 3}});  // from another file's range
  EXPECT_EQ(read(f, copied), "hello!!orl");
  EXPECT_EQ(read(f, linked), "hello worldel");  // copies are independent
  EXPECT_LT(f.open("missing"), 0);
}

TEST_F(BlobFilesTest, ExtentListsLocateLinkRemoveAndSurviveTheSweep) {
  BlobFiles f(dir_ + "/data", true);
  std::string a = f.create("hello ");
  std::string b = f.create("world");
  std::string list = BlobFiles::extent_list({{a, 6}, {b, 5}});
  EXPECT_TRUE(BlobFiles::is_extent_list(list));
  EXPECT_FALSE(BlobFiles::is_extent_list(a));
  auto ex = BlobFiles::extents_of(list);
  ASSERT_EQ(ex.size(), 2u);
  EXPECT_EQ(ex[1].name, b);
  EXPECT_EQ(ex[1].length, 5u);
  // A range across the boundary maps onto both files.
  auto p = BlobFiles::locate(list, 4, 4);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].name, a);
  EXPECT_EQ(p[0].offset, 4u);
  EXPECT_EQ(p[0].length, 2u);
  EXPECT_EQ(p[1].name, b);
  EXPECT_EQ(p[1].offset, 0u);
  EXPECT_EQ(p[1].length, 2u);
  p = BlobFiles::locate(list, 7, 4);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].offset, 1u);
  p = BlobFiles::locate(a, 1, 3);  // a plain file is its own single extent
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].name, a);
  // A link of a list links every extent; removing the original keeps the link's bytes.
  std::string linked = f.link(list);
  auto lex = BlobFiles::extents_of(linked);
  ASSERT_EQ(lex.size(), 2u);
  EXPECT_NE(lex[0].name, a);
  std::string stray = f.create("orphan");
  EXPECT_EQ(f.sweep({list, linked}), 1u);  // extents of listed lists are kept
  EXPECT_LT(f.open(stray), 0);
  f.remove(list);
  EXPECT_LT(f.open(a), 0);
  EXPECT_LT(f.open(b), 0);
  EXPECT_EQ(read(f, lex[0].name) + read(f, lex[1].name), "hello world");
}

TEST_F(BlobFilesTest, OpenFdSurvivesRemoval) {
  BlobFiles f(dir_ + "/data", false);
  std::string a = f.create("version one");
  int fd = f.open(a);
  ASSERT_GE(fd, 0);
  f.remove(a);
  char buf[11];
  ASSERT_EQ(pread(fd, buf, sizeof buf, 0), 11);
  EXPECT_EQ(std::string(buf, 11), "version one");
  close(fd);
}

TEST_F(BlobFilesTest, SweepRemovesUnreferenced) {
  BlobFiles f(dir_ + "/data", false);
  std::string keep = f.create("k");
  f.create("orphan1");
  f.create("orphan2");
  EXPECT_EQ(f.sweep({keep}), 2u);
  EXPECT_EQ(read(f, keep), "k");
  EXPECT_EQ(f.sweep({keep}), 0u);
}

TEST_F(BlobFilesTest, HolesReadAsZerosAndComposedFilesPlaceTheirParts) {
  BlobFiles f(dir_ + "/data", true);
  std::string src = f.create("abcdef");
  // 10 bytes: "cd" from a file at 2, "XY" from memory at 7, zeros elsewhere.
  std::string chunk = f.compose(10, {{2, {{src, 2, 2}}, {}}, {7, {}, "XY"}});
  EXPECT_EQ(read(f, chunk), std::string("\0\0cd\0\0\0XY\0", 10));
  // An extent list with a hole: the hole is read from the zeros file.
  std::string list = BlobFiles::extent_list({{chunk, 10}, {"", 5}});
  auto pieces = BlobFiles::locate(list, 8, 5);
  ASSERT_EQ(pieces.size(), 2u);
  EXPECT_EQ(pieces[0].name, chunk);
  EXPECT_EQ(pieces[1].name, BlobFiles::kZeros);
  // A hole longer than the zeros file is several pieces of it.
  auto big = BlobFiles::locate(BlobFiles::extent_list({{"", 2 * BlobFiles::kZerosBytes + 1}}), 0,
                               2 * BlobFiles::kZerosBytes + 1);
  ASSERT_EQ(big.size(), 3u);
  EXPECT_EQ(big[2].length, 1u);
  EXPECT_EQ(read(f, f.copy(list, 15)), std::string("\0\0cd\0\0\0XY\0\0\0\0\0\0", 15));
  // Links share the files and keep the holes; the zeros file is never swept or removed.
  std::string linked = f.link(list);
  auto extents = BlobFiles::extents_of(linked);
  ASSERT_EQ(extents.size(), 2u);
  EXPECT_TRUE(f.same_file(extents[0].name, chunk));
  EXPECT_FALSE(f.same_file(chunk, src));
  EXPECT_EQ(extents[1].name, "");
  f.remove(linked);
  f.sweep({});
  int fd = f.open(BlobFiles::kZeros);
  ASSERT_GE(fd, 0);
  char buf[4] = {1, 1, 1, 1};
  EXPECT_EQ(::pread(fd, buf, 4, BlobFiles::kZerosBytes - 4), 4);
  EXPECT_EQ(std::string(buf, 4), std::string(4, '\0'));
  ::close(fd);
  EXPECT_LT(f.open(chunk), 0);  // swept: nothing referenced it
}

TEST_F(BlobFilesTest, ComposedCopiesKeepTheSourcesHoles) {
  BlobFiles f(dir_ + "/data", true);
  const uint64_t mib = 1 << 20;
  std::string sparse = f.compose(2 * mib, {{mib, {}, std::string(4096, 'x')}});
  // A copy of the whole file with 8 bytes changed in its first half.
  std::string copy = f.compose(2 * mib, {{0, {{sparse, 0, 2 * mib}}, {}}, {100, {}, "12345678"}});
  std::string bytes = read(f, copy);
  ASSERT_EQ(bytes.size(), 2 * mib);
  EXPECT_EQ(bytes.substr(100, 8), "12345678");
  EXPECT_EQ(bytes.substr(mib, 4096), std::string(4096, 'x'));
  EXPECT_EQ(bytes.find_first_not_of('\0', 108), mib);
  struct stat st{};
  ASSERT_EQ(::stat((f.dir() + "/" + copy).c_str(), &st), 0);
  EXPECT_LT(st.st_blocks * 512, 256 * 1024) << "the copy's holes were filled";
}

}  // namespace
}  // namespace kiln::blob
