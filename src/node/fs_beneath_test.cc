#include "node/fs_beneath.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "node/test_support.h"

namespace kiln::node {
namespace {

using testing::TempDir;

TEST(FsBeneath, SafeRelativePaths) {
  EXPECT_TRUE(is_safe_relative_path(""));
  EXPECT_TRUE(is_safe_relative_path("a"));
  EXPECT_TRUE(is_safe_relative_path("a/b/c.txt"));
  EXPECT_TRUE(is_safe_relative_path("./a//b/"));
  EXPECT_TRUE(is_safe_relative_path("a..b/..c"));
  EXPECT_FALSE(is_safe_relative_path("/etc/passwd"));
  EXPECT_FALSE(is_safe_relative_path(".."));
  EXPECT_FALSE(is_safe_relative_path("a/../../b"));
  EXPECT_FALSE(is_safe_relative_path("a/.."));
  EXPECT_FALSE(is_safe_relative_path(std::string("a\0b", 3)));
}

TEST(FsBeneath, SplitParent) {
  EXPECT_EQ(split_parent("a/b/c"), std::make_pair(std::string("a/b"), std::string("c")));
  EXPECT_EQ(split_parent("c"), std::make_pair(std::string(""), std::string("c")));
  EXPECT_EQ(split_parent("a/b/"), std::make_pair(std::string("a"), std::string("b")));
}

class FsBeneathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::make_dirs(dir / "root/inner");
    fs::make_dirs(dir / "outside");
    testing::write_text(dir / "outside/secret.txt", "secret");
    testing::write_text(dir / "root/inner/file.txt", "inside");
    ASSERT_EQ(::symlink("../../outside", (dir / "root/inner/escape").c_str()), 0);
    ASSERT_EQ(::symlink("file.txt", (dir / "root/inner/alias.txt").c_str()), 0);
    root = ::open((dir / "root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(root, 0);
  }
  void TearDown() override { ::close(root); }
  TempDir dir;
  int root = -1;
};

TEST_F(FsBeneathTest, FollowsSymlinksThatStayInside) {
  int fd = open_beneath(root, "inner/alias.txt", O_RDONLY);
  ASSERT_GE(fd, 0);
  char buf[16] = {};
  EXPECT_EQ(::read(fd, buf, sizeof buf), 6);
  EXPECT_STREQ(buf, "inside");
  ::close(fd);
}

TEST_F(FsBeneathTest, RefusesEscapes) {
  EXPECT_LT(open_beneath(root, "inner/escape/secret.txt", O_RDONLY), 0);
  EXPECT_LT(open_beneath(root, "../outside/secret.txt", O_RDONLY), 0);
  EXPECT_LT(open_beneath(root, (dir / "outside/secret.txt"), O_RDONLY), 0);
  EXPECT_LT(open_beneath_nofollow(root, "inner/alias.txt", O_RDONLY), 0);
}

TEST_F(FsBeneathTest, MakeDirsDoesNotFollowSymlinks) {
  EXPECT_LT(make_dirs_beneath(root, "inner/escape/planted", 0755, std::nullopt), 0);
  struct stat st;
  EXPECT_NE(::stat((dir / "outside/planted").c_str(), &st), 0);
  int fd = make_dirs_beneath(root, "a/b/c", 0750, std::nullopt);
  ASSERT_GE(fd, 0);
  ::close(fd);
  ASSERT_EQ(::stat((dir / "root/a/b/c").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  // Existing directories are fine.
  fd = make_dirs_beneath(root, "a/b", 0755, std::nullopt);
  EXPECT_GE(fd, 0);
  ::close(fd);
}

TEST_F(FsBeneathTest, RemoveTreeDeletesLinksNotTheirTargets) {
  int inner = open_beneath(root, "", O_RDONLY | O_DIRECTORY);
  ASSERT_GE(inner, 0);
  EXPECT_TRUE(remove_tree_at(inner, "inner"));
  EXPECT_TRUE(remove_tree_at(inner, "never-existed"));
  ::close(inner);
  struct stat st;
  EXPECT_NE(::lstat((dir / "root/inner").c_str(), &st), 0);
  EXPECT_EQ(testing::slurp(dir / "outside/secret.txt"), "secret");
}

}  // namespace
}  // namespace kiln::node
