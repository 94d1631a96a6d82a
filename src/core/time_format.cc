#include "core/time_format.h"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace kiln::timefmt {
namespace {

constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::tm to_tm(TimePoint t) {
  std::time_t secs = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  if (to_micros(t) < 0 && to_micros(t) % 1000000 != 0) --secs;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return tm;
}

TimePoint from_tm(const std::tm& tm_in, int64_t micros) {
  std::tm tm = tm_in;
  std::time_t secs = timegm(&tm);
  return from_micros(int64_t(secs) * 1000000 + micros);
}

bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

}  // namespace

TimePoint now() { return std::chrono::time_point_cast<std::chrono::microseconds>(Clock::now()); }

int64_t to_micros(TimePoint t) { return t.time_since_epoch().count(); }
TimePoint from_micros(int64_t us) { return TimePoint(std::chrono::microseconds(us)); }

std::string rfc1123(TimePoint t) {
  // Every response carries a Date and most a Last-Modified: the two most
  // recent seconds keep their formatted text (per thread, so no lock).
  int64_t us = to_micros(t);
  int64_t secs = us / 1000000 - (us < 0 && us % 1000000 != 0 ? 1 : 0);
  struct Slot {
    int64_t secs = INT64_MIN;
    std::string text;
  };
  thread_local Slot recent[2];
  for (Slot& slot : recent)
    if (slot.secs == secs) return slot.text;
  std::tm tm = to_tm(t);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  recent[1] = std::move(recent[0]);
  recent[0] = Slot{secs, buf};
  return recent[0].text;
}

std::optional<TimePoint> parse_rfc1123(std::string_view s) {
  // "Sun, 06 Nov 1994 08:49:37 GMT"
  if (s.size() != 29 || s[3] != ',' || s.substr(26) != "GMT") return std::nullopt;
  std::tm tm{};
  int v;
  if (!digits(s, 5, 2, v)) return std::nullopt;
  tm.tm_mday = v;
  int mon = -1;
  for (int i = 0; i < 12; ++i)
    if (s.substr(8, 3) == kMonths[i]) mon = i;
  if (mon < 0) return std::nullopt;
  tm.tm_mon = mon;
  if (!digits(s, 12, 4, v)) return std::nullopt;
  tm.tm_year = v - 1900;
  if (!digits(s, 17, 2, v) || v > 23) return std::nullopt;
  tm.tm_hour = v;
  if (!digits(s, 20, 2, v) || v > 59) return std::nullopt;
  tm.tm_min = v;
  if (!digits(s, 23, 2, v) || v > 60) return std::nullopt;
  tm.tm_sec = v;
  return from_tm(tm, 0);
}

std::string iso8601(TimePoint t, int frac_digits) {
  std::tm tm = to_tm(t);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  std::string out = buf;
  if (frac_digits > 0) {
    int64_t us = to_micros(t) % 1000000;
    if (us < 0) us += 1000000;
    char f[16];
    std::snprintf(f, sizeof f, "%06lld0", static_cast<long long>(us));  // 7 digits (100 ns)
    out += '.';
    out.append(f, std::min(frac_digits, 7));
  }
  out += 'Z';
  return out;
}

std::optional<TimePoint> parse_iso8601(std::string_view s) {
  std::tm tm{};
  int v;
  if (!digits(s, 0, 4, v) || s.size() < 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  tm.tm_year = v - 1900;
  if (!digits(s, 5, 2, v) || v < 1 || v > 12) return std::nullopt;
  tm.tm_mon = v - 1;
  if (!digits(s, 8, 2, v) || v < 1 || v > 31) return std::nullopt;
  tm.tm_mday = v;
  if (s.size() == 10) return from_tm(tm, 0);
  if (s[10] != 'T' && s[10] != 't' && s[10] != ' ') return std::nullopt;
  if (!digits(s, 11, 2, v) || v > 23 || s.size() < 16 || s[13] != ':') return std::nullopt;
  tm.tm_hour = v;
  if (!digits(s, 14, 2, v) || v > 59) return std::nullopt;
  tm.tm_min = v;
  size_t pos = 16;
  int64_t micros = 0;
  if (pos < s.size() && s[pos] == ':') {
    if (!digits(s, 17, 2, v) || v > 60) return std::nullopt;
    tm.tm_sec = v;
    pos = 19;
    if (pos < s.size() && s[pos] == '.') {
      ++pos;
      int64_t scale = 100000;
      size_t start = pos;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
        micros += (s[pos] - '0') * scale;
        scale /= 10;
        ++pos;
      }
      if (pos == start) return std::nullopt;
    }
  }
  int64_t offset_secs = 0;
  if (pos == s.size()) {
    // No zone designator: Azure treats it as UTC.
  } else if ((s[pos] == 'Z' || s[pos] == 'z') && pos + 1 == s.size()) {
  } else if ((s[pos] == '+' || s[pos] == '-') && pos + 6 == s.size() && s[pos + 3] == ':') {
    int hh, mm;
    if (!digits(s, pos + 1, 2, hh) || !digits(s, pos + 4, 2, mm)) return std::nullopt;
    offset_secs = (hh * 3600 + mm * 60) * (s[pos] == '+' ? 1 : -1);
  } else {
    return std::nullopt;
  }
  TimePoint t = from_tm(tm, micros);
  return t - std::chrono::seconds(offset_secs);
}

}  // namespace kiln::timefmt
