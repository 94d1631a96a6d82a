// Query Blob's TIMESTAMP values (query_sql.h): ISO 8601 text read as an
// instant that keeps the UTC offset it was written with, the date parts of
// DATE_ADD, DATE_DIFF and EXTRACT, and TO_STRING's patterns. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "blob/query_sql.h"

namespace kiln::blob::query {

// The W3C profile of ISO 8601: "2007", "2007-03", "2007-03-01", then "T" and
// optionally "hh:mm", ":ss", ".s…", and "Z" or "±hh:mm" (no offset: UTC).
// nullopt for anything else.
std::optional<Value> parse_timestamp(std::string_view text);
// "2007-03-01T13:00:00Z", with ".fff" or ".ffffff" when there is a fraction,
// and "±hh:mm" for another offset.
std::string timestamp_text(const Value& ts);
// A TIMESTAMP as it is, text read as ISO 8601; QueryError naming `what` otherwise.
Value to_timestamp(const Value& v, const char* what);

enum class DatePart { kYear, kMonth, kDay, kHour, kMinute, kSecond, kTimezoneHour, kTimezoneMinute };
// year, month, day, hour, minute, second (any case); EXTRACT also takes
// timezone_hour and timezone_minute. QueryError for any other.
DatePart date_part(std::string_view name, bool for_extract);

Value date_add(DatePart part, int64_t quantity, const Value& ts);
// Whole `part`s from `a` to `b` (negative when b is earlier), truncated.
int64_t date_diff(DatePart part, const Value& a, const Value& b);
int64_t extract(DatePart part, const Value& ts);
// TO_STRING's patterns (y yy yyyy M MM MMM MMMM d dd a h hh H HH m mm s ss S…
// X… x…, 'quoted text'); QueryError for other pattern letters.
std::string format_timestamp(const Value& ts, std::string_view pattern);

}  // namespace kiln::blob::query
