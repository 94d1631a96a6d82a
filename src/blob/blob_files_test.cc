#include "blob/blob_files.h"

#include <gtest/gtest.h>
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
  EXPECT_EQ(read(f, linked), "hello worldel");  // copies are independent
  EXPECT_LT(f.open("missing"), 0);
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

}  // namespace
}  // namespace kiln::blob
