#include "node/resource_files.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>

#include "core/http_server.h"
#include "node/test_support.h"

namespace kiln::node {
namespace {

using testing::TempDir;

// A tiny stand-in for Blob storage: GET blob and List Blobs (two pages), both
// requiring the SAS signature the test URLs carry.
class FakeBlobStore {
 public:
  FakeBlobStore()
      : server_({}, [this](http::Request& req, http::Response& res) { handle(req, res); }) {
    blobs_["/acct/c/a.txt"] = "alpha";
    blobs_["/acct/c/dir/one.txt"] = "one";
    blobs_["/acct/c/dir/sub/two words.txt"] = "two";
    blobs_["/acct/evil/../evil.txt"] = "evil";
    server_.start();
  }
  ~FakeBlobStore() { server_.stop(); }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(server_.port()) + path;
  }
  int requests = 0;

 private:
  void handle(http::Request& req, http::Response& res) {
    ++requests;
    if (req.query_param("sig") != "ok") {
      res.status = 403;
      res.body = "<Error><Code>AuthenticationFailed</Code></Error>";
      return;
    }
    if (req.query_param("comp") == "list" && req.query_param("restype") == "container") {
      return list(req, res);
    }
    auto it = blobs_.find(req.path);
    if (it == blobs_.end()) {
      res.status = 404;
      res.body = "<Error><Code>BlobNotFound</Code></Error>";
      return;
    }
    res.body = it->second;
  }

  void list(http::Request& req, http::Response& res) {
    std::string container = req.path;
    std::string prefix = req.query_param("prefix").value_or("");
    if (container == "/acct/missing") {
      res.status = 404;
      return;
    }
    std::vector<std::string> names;
    for (const auto& [path, body] : blobs_) {
      if (path.rfind(container + "/", 0) != 0) continue;
      std::string name = path.substr(container.size() + 1);
      if (name.rfind(prefix, 0) == 0) names.push_back(name);
    }
    // Page one holds the first name only, to exercise NextMarker.
    bool second = req.query_param("marker") == "page2";
    std::string xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults><Blobs>";
    for (size_t i = 0; i < names.size(); ++i) {
      if ((i == 0) != second) xml += "<Blob><Name>" + names[i] + "</Name></Blob>";
    }
    xml += "</Blobs><NextMarker>";
    if (!second && names.size() > 1) xml += "page2";
    xml += "</NextMarker></EnumerationResults>";
    res.body = xml;
  }

  std::map<std::string, std::string> blobs_;
  http::HttpServer server_;
};

class ResourceFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::make_dirs(dir / "wd");
    fs::make_dirs(dir / "outside");
    wd = ::open((dir / "wd").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(wd, 0);
  }
  void TearDown() override { ::close(wd); }

  std::optional<DownloadFailure> download(std::vector<ResourceFile> files) {
    return download_resource_files(files, wd, options);
  }
  static ResourceFile http_file(const std::string& url, const std::string& path,
                                const std::string& mode = "") {
    ResourceFile rf;
    rf.http_url = url;
    rf.file_path = path;
    rf.file_mode = mode;
    return rf;
  }
  static unsigned mode_of(const std::string& path) {
    struct stat st {};
    ::stat(path.c_str(), &st);
    return st.st_mode & 07777;
  }

  TempDir dir;
  int wd = -1;
  FakeBlobStore store;
  DownloadOptions options;
};

TEST_F(ResourceFilesTest, DownloadsAnHttpUrlWithItsFileMode) {
  auto f = download({http_file(store.url("/acct/c/a.txt?sv=1&sig=ok"), "in/a.txt", "0644"),
                     http_file(store.url("/acct/c/a.txt?sig=ok"), "default.txt")});
  ASSERT_FALSE(f) << f->code;
  EXPECT_EQ(testing::slurp(dir / "wd/in/a.txt"), "alpha");
  EXPECT_EQ(mode_of(dir / "wd/in/a.txt"), 0644u);
  EXPECT_EQ(mode_of(dir / "wd/default.txt"), 0770u);  // Azure's Linux default
}

TEST_F(ResourceFilesTest, DownloadsEveryBlobUnderAPrefixAcrossPages) {
  ResourceFile rf;
  rf.storage_container_url = store.url("/acct/c?sv=1&sig=ok");
  rf.blob_prefix = "dir/";
  rf.file_path = "inputs";
  auto f = download({rf});
  ASSERT_FALSE(f) << f->code;
  EXPECT_EQ(testing::slurp(dir / "wd/inputs/dir/one.txt"), "one");
  EXPECT_EQ(testing::slurp(dir / "wd/inputs/dir/sub/two words.txt"), "two");
  struct stat st;
  EXPECT_NE(::stat((dir / "wd/inputs/a.txt").c_str(), &st), 0);  // outside the prefix
}

TEST_F(ResourceFilesTest, ReportsMissingAndForbiddenBlobsAsAzureDoes) {
  auto f = download({http_file(store.url("/acct/c/nope.txt?sig=ok"), "nope.txt")});
  ASSERT_TRUE(f);
  EXPECT_EQ(f->category, "UserError");
  EXPECT_EQ(f->code, "BlobNotFound");
  ASSERT_FALSE(f->details.empty());
  EXPECT_EQ(f->details[0], std::make_pair(std::string("FilePath"), std::string("nope.txt")));
  struct stat st;
  EXPECT_NE(::stat((dir / "wd/nope.txt").c_str(), &st), 0);  // no partial file left

  f = download({http_file(store.url("/acct/c/a.txt?sig=bad"), "a.txt")});
  ASSERT_TRUE(f);
  EXPECT_EQ(f->code, "BlobAccessDenied");
  EXPECT_EQ(f->category, "UserError");

  ResourceFile rf;
  rf.storage_container_url = store.url("/acct/missing?sig=ok");
  f = download({rf});
  ASSERT_TRUE(f);
  EXPECT_EQ(f->code, "ResourceContainerNotFound");
  rf.storage_container_url = store.url("/acct/c?sig=bad");
  f = download({rf});
  ASSERT_TRUE(f);
  EXPECT_EQ(f->code, "ResourceContainerAccessDenied");
}

TEST_F(ResourceFilesTest, UnreachableServerIsAMiscServerError) {
  auto f = download({http_file("http://127.0.0.1:1/x?sig=ok", "x")});
  ASSERT_TRUE(f);
  EXPECT_EQ(f->category, "ServerError");
  EXPECT_EQ(f->code, "BlobDownloadMiscError");
}

TEST_F(ResourceFilesTest, NeverWritesOutsideTheWorkingDirectory) {
  ASSERT_EQ(::symlink((dir / "outside").c_str(), (dir / "wd/link").c_str()), 0);
  for (const char* path : {"../escaped.txt", "/tmp/escaped.txt", "link/escaped.txt", "a/../.."}) {
    auto f = download({http_file(store.url("/acct/c/a.txt?sig=ok"), path)});
    ASSERT_TRUE(f) << path;
    EXPECT_EQ(f->code, "ResourceFileCreateFailed") << path;
  }
  ResourceFile rf;
  rf.storage_container_url = store.url("/acct/evil?sig=ok");
  auto f = download({rf});
  ASSERT_TRUE(f);
  EXPECT_EQ(f->code, "ResourceFileCreateFailed");
  struct stat st;
  EXPECT_NE(::stat((dir / "outside/escaped.txt").c_str(), &st), 0);
  EXPECT_NE(::stat((dir / "escaped.txt").c_str(), &st), 0);
  EXPECT_NE(::stat((dir / "evil.txt").c_str(), &st), 0);
}

TEST_F(ResourceFilesTest, StopsWhenCancelled) {
  options.cancelled = [] { return true; };
  auto f = download({http_file(store.url("/acct/c/a.txt?sig=ok"), "a.txt")});
  ASSERT_TRUE(f);
  EXPECT_EQ(f->code, "TaskEnded");
  EXPECT_EQ(store.requests, 0);
}

TEST(ParseFileMode, AcceptsOctalOnly) {
  EXPECT_EQ(parse_file_mode("0755"), 0755u);
  EXPECT_EQ(parse_file_mode("644"), 0644u);
  EXPECT_EQ(parse_file_mode("0o600"), 0600u);
  EXPECT_FALSE(parse_file_mode(""));
  EXPECT_FALSE(parse_file_mode("0789"));
  EXPECT_FALSE(parse_file_mode("rwxr-xr-x"));
  EXPECT_FALSE(parse_file_mode("077777"));
}

}  // namespace
}  // namespace kiln::node
