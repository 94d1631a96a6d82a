#include "blob/query_time.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "core/text.h"

namespace kiln::blob::query {
namespace {

constexpr int64_t kSecondUs = 1'000'000;
constexpr int64_t kMinuteUs = 60 * kSecondUs;
constexpr int64_t kHourUs = 60 * kMinuteUs;
constexpr int64_t kDayUs = 24 * kHourUs;
// Years 1 to 9999 keep every instant, shifted or not, far inside 64 bits.
constexpr int64_t kMinYear = 1, kMaxYear = 9999;

// Days since 1970-01-01 of a proleptic Gregorian date, and back (H. Hinnant's algorithms).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = unsigned(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + int64_t(doe) - 719468;
}

struct Civil {
  int64_t year = 1970;
  unsigned month = 1, day = 1, hour = 0, minute = 0, second = 0;
  int64_t micros = 0;  // of the second
};

Civil civil_from_us(int64_t us) {
  int64_t days = us >= 0 ? us / kDayUs : -((-us + kDayUs - 1) / kDayUs);
  int64_t rest = us - days * kDayUs;
  int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = unsigned(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  Civil c;
  c.day = doy - (153 * mp + 2) / 5 + 1;
  c.month = mp < 10 ? mp + 3 : mp - 9;
  c.year = int64_t(yoe) + era * 400 + (c.month <= 2);
  c.hour = unsigned(rest / kHourUs);
  c.minute = unsigned(rest % kHourUs / kMinuteUs);
  c.second = unsigned(rest % kMinuteUs / kSecondUs);
  c.micros = rest % kSecondUs;
  return c;
}

int64_t us_from_civil(const Civil& c) {
  return days_from_civil(c.year, c.month, c.day) * kDayUs + c.hour * kHourUs + c.minute * kMinuteUs +
         c.second * kSecondUs + c.micros;
}

unsigned days_in_month(int64_t y, unsigned m) {
  static const unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : days[m - 1];
}

// The wall-clock fields of `ts` in its own offset.
Civil local(const Value& ts) { return civil_from_us(ts.i + ts.tz * kMinuteUs); }

Value from_local(const Civil& c, int tz) {
  if (c.year < kMinYear || c.year > kMaxYear) throw QueryError("The timestamp is out of range (years 1 to 9999).");
  return Value::timestamp(us_from_civil(c) - tz * kMinuteUs, tz);
}

// Reads exactly `n` digits at `p`.
bool digits(std::string_view s, size_t& p, size_t n, unsigned& out) {
  if (p + n > s.size()) return false;
  out = 0;
  for (size_t k = 0; k < n; ++k) {
    if (!std::isdigit(static_cast<unsigned char>(s[p + k]))) return false;
    out = out * 10 + unsigned(s[p + k] - '0');
  }
  p += n;
  return true;
}

std::string two(unsigned v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02u", v % 100);
  return buf;
}

std::string padded(int64_t v, size_t width) {
  std::string s = std::to_string(v < 0 ? -v : v);
  if (s.size() < width) s.insert(0, width - s.size(), '0');
  return v < 0 ? "-" + s : s;
}

// "+hh", "+hhmm" or "+hh:mm" of an offset in minutes; `z_for_zero` writes "Z" for UTC.
std::string offset_text(int tz, int style, bool z_for_zero) {
  if (tz == 0 && z_for_zero) return "Z";
  int a = tz < 0 ? -tz : tz;
  std::string s = std::string(tz < 0 ? "-" : "+") + two(unsigned(a / 60));
  if (style == 1) return a % 60 ? s + two(unsigned(a % 60)) : s;
  return s + (style == 3 ? ":" : "") + two(unsigned(a % 60));
}

}  // namespace

std::optional<Value> parse_timestamp(std::string_view s) {
  Civil c;
  size_t p = 0;
  unsigned year = 0;
  if (!digits(s, p, 4, year) || year < kMinYear) return std::nullopt;
  c.year = year;
  if (p < s.size() && s[p] == '-') {
    ++p;
    if (!digits(s, p, 2, c.month) || c.month < 1 || c.month > 12) return std::nullopt;
    if (p < s.size() && s[p] == '-') {
      ++p;
      if (!digits(s, p, 2, c.day) || c.day < 1 || c.day > days_in_month(c.year, c.month)) return std::nullopt;
    }
  }
  int tz = 0;
  if (p < s.size() && s[p] == 'T') {
    ++p;
    if (p < s.size()) {
      if (!digits(s, p, 2, c.hour) || c.hour > 23 || p >= s.size() || s[p] != ':') return std::nullopt;
      ++p;
      if (!digits(s, p, 2, c.minute) || c.minute > 59) return std::nullopt;
      if (p < s.size() && s[p] == ':') {
        ++p;
        if (!digits(s, p, 2, c.second) || c.second > 59) return std::nullopt;
        if (p < s.size() && s[p] == '.') {
          ++p;
          size_t start = p;
          int64_t scale = 100000;
          while (p < s.size() && std::isdigit(static_cast<unsigned char>(s[p]))) {
            c.micros += (s[p] - '0') * scale;
            scale /= 10;
            ++p;
          }
          if (p == start || p - start > 9) return std::nullopt;
        }
      }
      if (p < s.size() && s[p] == 'Z') {
        ++p;
      } else if (p < s.size() && (s[p] == '+' || s[p] == '-')) {
        bool minus = s[p++] == '-';
        unsigned h = 0, m = 0;
        if (!digits(s, p, 2, h) || h > 23) return std::nullopt;
        if (p < s.size() && s[p] == ':') ++p;
        if (!digits(s, p, 2, m) || m > 59) return std::nullopt;
        tz = int(h * 60 + m) * (minus ? -1 : 1);
      }
    }
  }
  if (p != s.size()) return std::nullopt;
  return Value::timestamp(us_from_civil(c) - tz * kMinuteUs, tz);
}

std::string timestamp_text(const Value& ts) {
  Civil c = local(ts);
  std::string s = padded(c.year, 4) + "-" + two(c.month) + "-" + two(c.day) + "T" + two(c.hour) + ":" +
                  two(c.minute) + ":" + two(c.second);
  if (c.micros) s += "." + (c.micros % 1000 ? padded(c.micros, 6) : padded(c.micros / 1000, 3));
  return s + offset_text(ts.tz, 3, true);
}

Value to_timestamp(const Value& v, const char* what) {
  if (v.kind == Value::Kind::kTimestamp) return v;
  if (v.kind == Value::Kind::kString) {
    std::string t = v.s;
    t.erase(0, t.find_first_not_of(" \t"));
    t.erase(t.find_last_not_of(" \t") + 1);
    if (auto ts = parse_timestamp(t)) return *ts;
  }
  throw QueryError("Cannot use '" + v.to_text() + "' as a timestamp in " + what + ".");
}

DatePart date_part(std::string_view name, bool for_extract) {
  std::string n = text::lower(std::string(name));
  if (n == "year") return DatePart::kYear;
  if (n == "month") return DatePart::kMonth;
  if (n == "day") return DatePart::kDay;
  if (n == "hour") return DatePart::kHour;
  if (n == "minute") return DatePart::kMinute;
  if (n == "second") return DatePart::kSecond;
  if (for_extract && n == "timezone_hour") return DatePart::kTimezoneHour;
  if (for_extract && n == "timezone_minute") return DatePart::kTimezoneMinute;
  throw QueryError("'" + std::string(name) + "' is not a date part here.");
}

Value date_add(DatePart part, int64_t n, const Value& ts) {
  if (part == DatePart::kYear || part == DatePart::kMonth) {
    Civil c = local(ts);
    if (n > 12 * kMaxYear || n < -12 * kMaxYear) throw QueryError("DATE_ADD leaves the range of years 1 to 9999.");
    int64_t months = c.year * 12 + (c.month - 1) + (part == DatePart::kYear ? n * 12 : n);
    c.year = months >= 0 ? months / 12 : -1;
    c.month = unsigned(months - c.year * 12) + 1;
    if (c.year >= kMinYear && c.year <= kMaxYear) c.day = std::min(c.day, days_in_month(c.year, c.month));
    return from_local(c, ts.tz);
  }
  int64_t unit = part == DatePart::kDay ? kDayUs : part == DatePart::kHour ? kHourUs
                 : part == DatePart::kMinute ? kMinuteUs : kSecondUs;
  int64_t delta = 0, us = 0;
  if (__builtin_mul_overflow(n, unit, &delta) || __builtin_add_overflow(ts.i, delta, &us))
    throw QueryError("DATE_ADD leaves the range of years 1 to 9999.");
  Value out = Value::timestamp(us, ts.tz);
  Civil c = local(out);
  if (c.year < kMinYear || c.year > kMaxYear) throw QueryError("DATE_ADD leaves the range of years 1 to 9999.");
  return out;
}

int64_t date_diff(DatePart part, const Value& a, const Value& b) {
  if (part == DatePart::kYear || part == DatePart::kMonth) {
    Civil x = local(a), y = civil_from_us(b.i + a.tz * kMinuteUs);  // both on a's clock
    int64_t months = (y.year * 12 + y.month) - (x.year * 12 + x.month);
    auto rest = [](const Civil& c) { return ((int64_t(c.day) * 24 + c.hour) * 60 + c.minute) * 60 * kSecondUs + c.second * kSecondUs + c.micros; };
    if (months > 0 && rest(y) < rest(x)) --months;
    if (months < 0 && rest(y) > rest(x)) ++months;
    return part == DatePart::kYear ? months / 12 : months;
  }
  int64_t unit = part == DatePart::kDay ? kDayUs : part == DatePart::kHour ? kHourUs
                 : part == DatePart::kMinute ? kMinuteUs : kSecondUs;
  return (b.i - a.i) / unit;
}

int64_t extract(DatePart part, const Value& ts) {
  Civil c = local(ts);
  switch (part) {
    case DatePart::kYear: return c.year;
    case DatePart::kMonth: return c.month;
    case DatePart::kDay: return c.day;
    case DatePart::kHour: return c.hour;
    case DatePart::kMinute: return c.minute;
    case DatePart::kSecond: return c.second;
    case DatePart::kTimezoneHour: return ts.tz / 60;
    case DatePart::kTimezoneMinute: return ts.tz % 60;
  }
  return 0;
}

std::string format_timestamp(const Value& ts, std::string_view f) {
  static const char* months[] = {"January", "February", "March", "April", "May", "June", "July",
                                 "August", "September", "October", "November", "December"};
  Civil c = local(ts);
  std::string out;
  size_t p = 0;
  while (p < f.size()) {
    char ch = f[p];
    if (ch == '\'') {  // 'literal text', '' for a quote
      size_t q = p + 1;
      if (q < f.size() && f[q] == '\'') {
        out += '\'';
        p += 2;
        continue;
      }
      while (q < f.size() && !(f[q] == '\'' && !(q + 1 < f.size() && f[q + 1] == '\''))) {
        out += f[q];
        q += f[q] == '\'' ? 2 : 1;
      }
      if (q >= f.size()) throw QueryError("TO_STRING: unterminated quote in the format.");
      p = q + 1;
      continue;
    }
    if (!std::isalpha(static_cast<unsigned char>(ch))) {
      out += ch;
      ++p;
      continue;
    }
    size_t n = 1;
    while (p + n < f.size() && f[p + n] == ch) ++n;
    p += n;
    unsigned h12 = c.hour % 12 == 0 ? 12 : c.hour % 12;
    switch (ch) {
      case 'y': out += n == 2 ? two(unsigned(c.year % 100)) : padded(c.year, std::max<size_t>(n, 1)); break;
      case 'M':
        out += n == 1 ? std::to_string(c.month) : n == 2 ? two(c.month)
               : n == 3 ? std::string(months[c.month - 1]).substr(0, 3) : std::string(months[c.month - 1]);
        break;
      case 'd': out += n == 1 ? std::to_string(c.day) : two(c.day); break;
      case 'a': out += c.hour < 12 ? "AM" : "PM"; break;
      case 'h': out += n == 1 ? std::to_string(h12) : two(h12); break;
      case 'H': out += n == 1 ? std::to_string(c.hour) : two(c.hour); break;
      case 'm': out += n == 1 ? std::to_string(c.minute) : two(c.minute); break;
      case 's': out += n == 1 ? std::to_string(c.second) : two(c.second); break;
      case 'S': out += padded(c.micros, 6).substr(0, std::min<size_t>(n, 6)) + std::string(n > 6 ? n - 6 : 0, '0'); break;
      case 'X':
      case 'x': {
        int style = n == 1 ? 1 : n == 2 || n == 4 ? 2 : 3;
        out += offset_text(ts.tz, style, ch == 'X');
        break;
      }
      default: throw QueryError(std::string("TO_STRING does not know the format letter '") + ch + "'.");
    }
  }
  return out;
}

}  // namespace kiln::blob::query
