// Time formats on Azure's wire: RFC 1123 in HTTP headers, ISO 8601 in bodies.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace kiln::timefmt {

using Clock = std::chrono::system_clock;
using TimePoint = std::chrono::time_point<Clock, std::chrono::microseconds>;

TimePoint now();

// "Sun, 06 Nov 1994 08:49:37 GMT"
std::string rfc1123(TimePoint t);
std::optional<TimePoint> parse_rfc1123(std::string_view s);

// ISO 8601 UTC with `digits` fractional digits (0..7): Blob XML uses 7
// ("2023-01-02T03:04:05.1234567Z"), Batch JSON uses up to 7 as well.
std::string iso8601(TimePoint t, int digits = 7);
// Accepts "YYYY-MM-DD", "YYYY-MM-DDThh:mmZ", "YYYY-MM-DDThh:mm:ss[.f+](Z|±hh:mm)".
std::optional<TimePoint> parse_iso8601(std::string_view s);

// Microseconds since the Unix epoch (for storage).
int64_t to_micros(TimePoint t);
TimePoint from_micros(int64_t us);

}  // namespace kiln::timefmt
