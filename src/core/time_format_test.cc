#include "core/time_format.h"

#include <gtest/gtest.h>

namespace kiln::timefmt {

TEST(TimeFormat, Rfc1123RoundTrip) {
  auto t = parse_rfc1123("Sun, 06 Nov 1994 08:49:37 GMT");
  ASSERT_TRUE(t);
  EXPECT_EQ(rfc1123(*t), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_FALSE(parse_rfc1123("Sun, 06 Nov 1994 25:49:37 GMT"));
  EXPECT_FALSE(parse_rfc1123("yesterday"));
}

TEST(TimeFormat, Rfc1123TruncatesToTheSecondAcrossAlternatingTimes) {
  auto t = *parse_rfc1123("Sun, 06 Nov 1994 08:49:37 GMT");
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(rfc1123(t + std::chrono::microseconds(999999)), "Sun, 06 Nov 1994 08:49:37 GMT");
    EXPECT_EQ(rfc1123(t + std::chrono::seconds(1)), "Sun, 06 Nov 1994 08:49:38 GMT");
    EXPECT_EQ(rfc1123(from_micros(-1)), "Wed, 31 Dec 1969 23:59:59 GMT");
  }
}

TEST(TimeFormat, Iso8601Variants) {
  auto a = parse_iso8601("2023-01-02T03:04:05.1234567Z");
  ASSERT_TRUE(a);
  EXPECT_EQ(iso8601(*a), "2023-01-02T03:04:05.1234560Z");
  EXPECT_EQ(iso8601(*a, 0), "2023-01-02T03:04:05Z");
  auto b = parse_iso8601("2023-01-02T05:04:05+02:00");
  ASSERT_TRUE(b);
  EXPECT_EQ(iso8601(*b, 0), "2023-01-02T03:04:05Z");
  EXPECT_TRUE(parse_iso8601("2023-01-02"));
  EXPECT_TRUE(parse_iso8601("2023-01-02T03:04Z"));
  EXPECT_FALSE(parse_iso8601("2023-13-02T03:04:05Z"));
  EXPECT_FALSE(parse_iso8601("2023-01-02T03:04:05Q"));
}

}  // namespace kiln::timefmt
