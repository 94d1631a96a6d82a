// BlobServiceClient request shapes: staged uploads, ranged downloads, paging.
#include "kiln/blob_client.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "client/test_server.h"
#include "core/crypto.h"

namespace kiln::client {
namespace {

using testing::ScriptedServer;

const SharedKeyCredential kDev{std::string(kDevelopmentAccount), std::string(kDevelopmentKey)};

std::string temp_file(const std::string& name, const std::string& content) {
  auto path = std::filesystem::temp_directory_path() / ("kiln_client_test_" + std::to_string(getpid()) + name);
  std::ofstream(path, std::ios::binary) << content;
  return path.string();
}

TEST(BlobClient, LargeFileGoesAsStagedBlocksThenBlockList) {
  std::map<std::string, std::string> staged;
  std::string committed_list;
  ScriptedServer server([&](const http::Request& req, http::Response& res, size_t) {
    res.status = 201;
    if (req.query_param("comp") == "block") staged[*req.query_param("blockid")] = req.body;
    if (req.query_param("comp") == "blocklist") committed_list = req.body;
  });
  std::string content(10 * 1024 + 5, 'x');
  for (size_t i = 0; i < content.size(); ++i) content[i] = char('a' + i % 26);
  std::string path = temp_file("big", content);
  BlobServiceClient blobs(server.url() + "/devstoreaccount1", kDev);
  UploadOptions o;
  o.single_put_threshold = 4096;
  o.block_size = 4096;
  std::vector<uint64_t> progress;
  blobs.upload_file("c", "big.bin", path, o, [&](uint64_t done, uint64_t) { progress.push_back(done); });
  std::filesystem::remove(path);

  ASSERT_EQ(staged.size(), 3u);  // 4096 + 4096 + 2053
  std::string reassembled;
  size_t pos = 0;
  std::vector<std::string> ids;
  while ((pos = committed_list.find("<Latest>", pos)) != std::string::npos) {
    size_t end = committed_list.find("</Latest>", pos);
    ids.push_back(committed_list.substr(pos + 8, end - pos - 8));
    pos = end;
  }
  ASSERT_EQ(ids.size(), 3u);
  for (const auto& id : ids) reassembled += staged.at(id);
  EXPECT_EQ(reassembled, content);
  EXPECT_EQ(progress.back(), content.size());
  auto reqs = server.requests();
  EXPECT_EQ(reqs.back().headers.get("x-ms-blob-content-type"), "application/octet-stream");
  // Each block carries its MD5 so the service can reject corruption.
  EXPECT_EQ(reqs[0].headers.get("Content-MD5"), crypto::base64_encode(crypto::md5(content.substr(0, 4096))));
}

TEST(BlobClient, DownloadToFileUsesRangesAndIfMatch) {
  std::string content = "0123456789";
  ScriptedServer server([&](const http::Request& req, http::Response& res, size_t) {
    res.headers.set("ETag", "\"v1\"");
    if (req.method == "HEAD") {
      res.headers.set("Content-Length", std::to_string(content.size()));
      res.suppress_body = true;
      res.body = content;
      return;
    }
    std::string range = req.headers.get("x-ms-range");  // bytes=a-b
    size_t dash = range.find('-');
    size_t a = std::stoul(range.substr(6, dash - 6)), b = std::stoul(range.substr(dash + 1));
    res.status = 206;
    res.body = content.substr(a, b - a + 1);
  });
  BlobServiceClient blobs(server.url() + "/devstoreaccount1", kDev);
  std::string path = temp_file("dl", "");
  blobs.download_to_file("c", "b", path);
  std::ifstream in(path);
  std::string got((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(got, content);
  std::filesystem::remove(path);
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[1].headers.get("x-ms-range"), "bytes=0-9");
  EXPECT_EQ(reqs[1].headers.get("If-Match"), "\"v1\"");
  EXPECT_EQ(blobs.download("c", "b", 2, 3), "234");
}

TEST(BlobClient, ListBlobsFollowsNextMarker) {
  ScriptedServer server([](const http::Request& req, http::Response& res, size_t) {
    bool first = !req.query_param("marker");
    res.body = std::string("<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults><Blobs>") +
               (first ? "<Blob><Name>a.txt</Name><Properties><Content-Length>5</Content-Length>"
                        "<BlobType>BlockBlob</BlobType></Properties></Blob>"
                      : "<Blob><Name>b &amp; c.txt</Name><Properties><Content-Length>7</Content-Length>"
                        "</Properties></Blob>") +
               "</Blobs><NextMarker>" + (first ? "page2" : "") + "</NextMarker></EnumerationResults>";
  });
  BlobServiceClient blobs(server.url() + "/devstoreaccount1", kDev);
  auto items = blobs.list_blobs("c", "pre fix");
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].name, "a.txt");
  EXPECT_EQ(items[0].content_length, 5u);
  EXPECT_EQ(items[0].blob_type, "BlockBlob");
  EXPECT_EQ(items[1].name, "b & c.txt");
  auto reqs = server.requests();
  EXPECT_EQ(reqs[0].target, "/devstoreaccount1/c?restype=container&comp=list&prefix=pre%20fix");
  EXPECT_EQ(reqs[1].query_param("marker"), "page2");
}

TEST(BlobClient, UrlsAreEncoded) {
  BlobServiceClient blobs("https://acct.blob.core.windows.net/", kDev);
  EXPECT_EQ(blobs.blob_url("c", "dir/a b+c.txt"), "https://acct.blob.core.windows.net/c/dir/a%20b%2Bc.txt");
}

}  // namespace
}  // namespace kiln::client
