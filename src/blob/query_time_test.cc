#include "blob/query_time.h"

#include <gtest/gtest.h>

namespace kiln::blob::query {
namespace {

Value ts(const char* text) {
  auto v = parse_timestamp(text);
  EXPECT_TRUE(v) << text;
  return v.value_or(Value::null());
}

TEST(QueryTime, ReadsTheW3cProfileOfIso8601) {
  EXPECT_EQ(timestamp_text(ts("2017-01-02T03:04:05.006Z")), "2017-01-02T03:04:05.006Z");
  EXPECT_EQ(timestamp_text(ts("2018-11-09T00:00+05:30")), "2018-11-09T00:00:00+05:30");
  EXPECT_EQ(timestamp_text(ts("2010-01-01T")), "2010-01-01T00:00:00Z");
  EXPECT_EQ(timestamp_text(ts("2007T")), "2007-01-01T00:00:00Z");
  EXPECT_EQ(timestamp_text(ts("2007-03")), "2007-03-01T00:00:00Z");
  EXPECT_EQ(timestamp_text(ts("1969-07-20T20:18:04.123456-0700")), "1969-07-20T20:18:04.123456-07:00");
  EXPECT_EQ(ts("2018-11-09T00:00+05:30").i, ts("2018-11-08T18:30Z").i);  // one instant, two offsets
  for (const char* bad : {"", "17-01-02", "2017-13-01", "2017-02-30", "2017-01-02T24:00", "2017-01-02T03",
                          "2017-01-02 03:04", "2017-01-02T03:04:05.Z", "0000-01-01", "2017-01-02T03:04+5"}) {
    EXPECT_FALSE(parse_timestamp(bad)) << bad;
  }
}

TEST(QueryTime, AddsAndSubtractsDateParts) {
  EXPECT_EQ(timestamp_text(date_add(DatePart::kMinute, 1, ts("2017-01-02T03:04:05.006Z"))), "2017-01-02T03:05:05.006Z");
  EXPECT_EQ(timestamp_text(date_add(DatePart::kMonth, 1, ts("2020-01-31T10:00Z"))), "2020-02-29T10:00:00Z");
  EXPECT_EQ(timestamp_text(date_add(DatePart::kYear, -1, ts("2020-02-29T10:00+01:00"))), "2019-02-28T10:00:00+01:00");
  EXPECT_EQ(timestamp_text(date_add(DatePart::kDay, -1, ts("2020-03-01"))), "2020-02-29T00:00:00Z");
  EXPECT_THROW(date_add(DatePart::kYear, 9000, ts("2020-03-01")), QueryError);
  EXPECT_THROW(date_add(DatePart::kSecond, INT64_MAX, ts("2020-03-01")), QueryError);
  EXPECT_EQ(date_diff(DatePart::kHour, ts("2018-11-09T00:00+05:30"), ts("2018-11-09T01:00:23-08:00")), 14);
  EXPECT_EQ(date_diff(DatePart::kMonth, ts("2020-01-31"), ts("2020-02-29")), 0);  // not yet a whole month
  EXPECT_EQ(date_diff(DatePart::kMonth, ts("2020-01-15"), ts("2020-03-15")), 2);
  EXPECT_EQ(date_diff(DatePart::kYear, ts("2020-06-01"), ts("2018-07-01")), -1);
  EXPECT_EQ(date_diff(DatePart::kDay, ts("2020-03-01"), ts("2020-02-28T12:00")), -1);
}

TEST(QueryTime, ExtractsAndFormatsInTheTimestampsOwnOffset) {
  Value t = ts("1969-07-20T20:18:04.5-05:30");
  EXPECT_EQ(extract(DatePart::kYear, t), 1969);
  EXPECT_EQ(extract(DatePart::kHour, t), 20);
  EXPECT_EQ(extract(DatePart::kTimezoneHour, t), -5);
  EXPECT_EQ(extract(DatePart::kTimezoneMinute, t), -30);
  EXPECT_EQ(format_timestamp(ts("1969-07-20T20:18Z"), "MMMM d, y"), "July 20, 1969");
  EXPECT_EQ(format_timestamp(t, "yy-MM-dd'T'HH:mm:ss.SSS XXX"), "69-07-20T20:18:04.500 -05:30");
  EXPECT_EQ(format_timestamp(t, "h a, MMM, X, xx, x"), "8 PM, Jul, -0530, -0530, -0530");
  EXPECT_EQ(format_timestamp(ts("2020-01-01T00:05Z"), "hh:mm a X xxx 'o''clock'"), "12:05 AM Z +00:00 o'clock");
  EXPECT_THROW(format_timestamp(t, "q"), QueryError);
  EXPECT_THROW(date_part("week", false), QueryError);
  EXPECT_THROW(date_part("timezone_hour", false), QueryError);
  EXPECT_EQ(date_part("TIMEZONE_HOUR", true), DatePart::kTimezoneHour);
}

}  // namespace
}  // namespace kiln::blob::query
