#include "blob/request_context.h"

#include <gtest/gtest.h>

namespace kiln::blob {
namespace {

http::Request make(const std::string& path, const std::string& host = "127.0.0.1:10000") {
  http::Request r;
  r.method = "GET";
  r.path = path;
  r.headers.set("Host", host);
  return r;
}

TEST(RequestContext, PathStyle) {
  RequestContext ctx;
  ASSERT_TRUE(parse_location(make("/devstoreaccount1/c/dir/b.txt"), ctx));
  EXPECT_EQ(ctx.account, "devstoreaccount1");
  EXPECT_EQ(ctx.container, "c");
  EXPECT_EQ(ctx.blob, "dir/b.txt");
  EXPECT_FALSE(ctx.secondary);
  RequestContext svc;
  ASSERT_TRUE(parse_location(make("/devstoreaccount1"), svc));
  EXPECT_TRUE(svc.container.empty());
  EXPECT_FALSE(parse_location(make("/"), svc));
}

TEST(RequestContext, HostStyleAndSecondary) {
  RequestContext ctx;
  ASSERT_TRUE(parse_location(make("/c/b", "acct-secondary.blob.localhost:10000"), ctx));
  EXPECT_EQ(ctx.account, "acct");
  EXPECT_TRUE(ctx.secondary);
  EXPECT_TRUE(ctx.host_style);
  EXPECT_EQ(ctx.container, "c");
  EXPECT_EQ(ctx.blob, "b");
  RequestContext core;
  ASSERT_TRUE(parse_location(make("/", "Acct.Blob.Core.Localhost"), core));
  EXPECT_EQ(core.account, "acct");
  EXPECT_TRUE(core.container.empty());
}

TEST(Operation, Dispatch) {
  http::Request r = make("/a/c");
  r.query = {{"restype", "container"}, {"comp", "list"}};
  EXPECT_EQ(dispatch(r, true, false), Operation::kListBlobs);
  r.method = "PUT";
  r.query = {{"comp", "blocklist"}};
  EXPECT_EQ(dispatch(r, true, true), Operation::kPutBlockList);
  r.query = {};
  r.headers.set("x-ms-copy-source", "http://x/y");
  EXPECT_EQ(dispatch(r, true, true), Operation::kCopyBlob);
  r.method = "PATCH";
  EXPECT_EQ(dispatch(r, true, true), Operation::kUnknown);
  EXPECT_STREQ(info(Operation::kPutBlob).name, "PutBlob");
  EXPECT_TRUE(info(Operation::kPutBlob).write);
}

}  // namespace
}  // namespace kiln::blob
