#include "node/node_files.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "node/test_support.h"

namespace kiln::node {
namespace {

using testing::TempDir;

class NodeFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::make_dirs(dir / "node/workitems/j/job-1/t/wd/sub");
    testing::write_text(dir / "node/workitems/j/job-1/t/stdout.txt", "hello\n");
    testing::write_text(dir / "node/workitems/j/job-1/t/wd/sub/data.bin", "12345");
    testing::write_text(dir / "secret.txt", "secret");
    ASSERT_EQ(::symlink("/", (dir / "node/workitems/j/job-1/t/wd/rootlink").c_str()), 0);
    root = ::open((dir / "node").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(root, 0);
  }
  void TearDown() override { ::close(root); }
  TempDir dir;
  int root = -1;
};

TEST_F(NodeFilesTest, ListsNonRecursivelyAndRecursively) {
  std::vector<FileInfo> files;
  ASSERT_TRUE(list_node_files(root, "workitems/j/job-1/t", false, files));
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].name, "stdout.txt");
  EXPECT_FALSE(files[0].is_directory);
  EXPECT_EQ(files[0].size, 6u);
  EXPECT_EQ(files[0].file_mode.substr(0, 4), "0100");
  EXPECT_GT(files[0].creation_time_us, 0);
  EXPECT_GT(files[0].last_modified_us, 0);
  EXPECT_EQ(files[1].name, "wd");
  EXPECT_TRUE(files[1].is_directory);

  files.clear();
  ASSERT_TRUE(list_node_files(root, "workitems/j/job-1/t", true, files));
  std::vector<std::string> names;
  for (const auto& f : files) names.push_back(f.name);
  EXPECT_EQ(names, (std::vector<std::string>{"stdout.txt", "wd", "wd/rootlink", "wd/sub",
                                             "wd/sub/data.bin"}));
}

TEST_F(NodeFilesTest, StatAndOpen) {
  FileInfo info;
  ASSERT_TRUE(stat_node_file(root, "workitems/j/job-1/t/wd/sub/data.bin", info));
  EXPECT_EQ(info.size, 5u);
  EXPECT_EQ(info.name, "workitems/j/job-1/t/wd/sub/data.bin");
  ASSERT_TRUE(stat_node_file(root, "workitems/j/job-1/t/wd", info));
  EXPECT_TRUE(info.is_directory);
  int fd = open_node_file(root, "workitems/j/job-1/t/stdout.txt");
  ASSERT_GE(fd, 0);
  char buf[8] = {};
  EXPECT_EQ(::read(fd, buf, sizeof buf), 6);
  ::close(fd);
  EXPECT_LT(open_node_file(root, "workitems/j/job-1/t/wd"), 0);  // a directory
  EXPECT_LT(open_node_file(root, "workitems/j/job-1/t/missing.txt"), 0);
}

TEST_F(NodeFilesTest, NothingOutsideTheRootIsReachable) {
  std::vector<FileInfo> files;
  EXPECT_FALSE(list_node_files(root, "..", false, files));
  EXPECT_FALSE(list_node_files(root, "/etc", false, files));
  EXPECT_FALSE(list_node_files(root, "workitems/j/job-1/t/wd/rootlink", false, files));
  FileInfo info;
  EXPECT_FALSE(stat_node_file(root, "../secret.txt", info));
  EXPECT_FALSE(stat_node_file(root, "workitems/j/job-1/t/wd/rootlink/etc/passwd", info));
  EXPECT_LT(open_node_file(root, "../secret.txt"), 0);
  EXPECT_LT(open_node_file(root, "workitems/../../secret.txt"), 0);
  EXPECT_LT(open_node_file(root, "/etc/passwd"), 0);
  EXPECT_LT(open_node_file(root, "workitems/j/job-1/t/wd/rootlink/etc/passwd"), 0);
  EXPECT_FALSE(delete_node_file(root, "../secret.txt", false));
  EXPECT_FALSE(delete_node_file(root, "workitems/j/job-1/t/wd/rootlink/tmp", true));
  EXPECT_FALSE(delete_node_file(root, "", true));
  EXPECT_FALSE(delete_node_file(root, ".", true));
  EXPECT_EQ(testing::slurp(dir / "secret.txt"), "secret");
}

TEST_F(NodeFilesTest, Deletes) {
  EXPECT_FALSE(delete_node_file(root, "workitems/j/job-1/t/wd/sub", false));  // not empty
  EXPECT_TRUE(delete_node_file(root, "workitems/j/job-1/t/wd/sub/data.bin", false));
  EXPECT_TRUE(delete_node_file(root, "workitems/j/job-1/t/wd/sub", false));
  EXPECT_FALSE(delete_node_file(root, "workitems/j/job-1/t/wd/sub", false));  // gone
  // A recursive delete removes the link, not the filesystem it points to.
  EXPECT_TRUE(delete_node_file(root, "workitems/j", true));
  FileInfo info;
  EXPECT_FALSE(stat_node_file(root, "workitems/j", info));
  EXPECT_TRUE(stat_node_file(root, "workitems", info));
}

}  // namespace
}  // namespace kiln::node
