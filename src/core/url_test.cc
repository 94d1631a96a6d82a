#include "core/url.h"

#include <gtest/gtest.h>

namespace kiln::url {

TEST(Url, DecodeEncode) {
  EXPECT_EQ(decode("a%20b%2Fc"), "a b/c");
  EXPECT_EQ(decode("a+b", true), "a b");
  EXPECT_EQ(decode("a+b"), "a+b");
  EXPECT_FALSE(decode("%zz"));
  EXPECT_FALSE(decode("%2"));
  EXPECT_EQ(encode("a b/c", true), "a%20b/c");
  EXPECT_EQ(encode("a b/c"), "a%20b%2Fc");
}

TEST(Url, ParseQuery) {
  auto q = parse_query("comp=list&prefix=a%2Fb&flag");
  ASSERT_TRUE(q);
  ASSERT_EQ(q->size(), 3u);
  EXPECT_EQ((*q)[1].second, "a/b");
  EXPECT_EQ((*q)[2].first, "flag");
  EXPECT_FALSE(parse_query("a=%G0"));
}

TEST(Url, ParseAbsolute) {
  auto u = parse("https://acct.blob.core.localhost:10000/c/b%20x?sv=1&sig=a");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->scheme, "https");
  EXPECT_EQ(u->host, "acct.blob.core.localhost");
  EXPECT_EQ(u->port, 10000);
  EXPECT_EQ(u->path, "/c/b%20x");
  EXPECT_EQ(u->query, "sv=1&sig=a");
  EXPECT_EQ(parse("http://h")->port, 80);
  EXPECT_FALSE(parse("not a url"));
  EXPECT_FALSE(parse("http://h:99999/"));
}

}  // namespace kiln::url
