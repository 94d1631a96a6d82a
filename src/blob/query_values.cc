#include "blob/query_values.h"

#include <cctype>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdlib>

#include "blob/query_time.h"
#include "core/text.h"

namespace kiln::blob::query {
namespace {

using text::upper;

bool is_number(const Value& v) { return v.kind == Value::Kind::kInt || v.kind == Value::Kind::kFloat; }

}  // namespace

std::string Value::to_text() const {
  switch (kind) {
    case Kind::kNull: return "";
    case Kind::kBool: return b ? "true" : "false";
    case Kind::kInt: return std::to_string(i);
    case Kind::kFloat: {
      char buf[32];
      auto [p, ec] = std::to_chars(buf, buf + sizeof buf, f);
      return ec == std::errc() ? std::string(buf, p) : std::to_string(f);
    }
    case Kind::kString: return s;
    case Kind::kTimestamp: return timestamp_text(*this);
  }
  return "";
}

std::optional<double> as_number(const Value& v, bool& is_int, int64_t& i) {
  switch (v.kind) {
    case Value::Kind::kInt: is_int = true; i = v.i; return double(v.i);
    case Value::Kind::kFloat: is_int = false; return v.f;
    case Value::Kind::kString: {
      std::string t = v.s;
      t.erase(0, t.find_first_not_of(" \t"));
      t.erase(t.find_last_not_of(" \t") + 1);
      if (t.empty()) return std::nullopt;
      int64_t n = 0;
      auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
      if (ec == std::errc() && p == t.data() + t.size()) {
        is_int = true;
        i = n;
        return double(n);
      }
      char* end = nullptr;
      double d = std::strtod(t.c_str(), &end);
      if (end != t.c_str() + t.size() || !std::isfinite(d)) return std::nullopt;
      is_int = false;
      return d;
    }
    default: return std::nullopt;
  }
}

Value number_of(const Value& v, const char* what) {
  bool is_int = false;
  int64_t i = 0;
  auto d = as_number(v, is_int, i);
  if (!d) throw QueryError(std::string("Cannot use '") + v.to_text() + "' as a number in " + what + ".");
  return is_int ? Value::integer(i) : Value::real(*d);
}

Value blank_as_null(Value v) {
  if (v.kind == Value::Kind::kString && v.s.find_first_not_of(" \t") == std::string::npos) return Value::null();
  return v;
}

std::optional<int> compare(const Value& a, const Value& b) {
  if (a.is_null() || b.is_null()) return std::nullopt;
  if (a.kind == Value::Kind::kTimestamp || b.kind == Value::Kind::kTimestamp) {  // instants, whatever their offsets
    int64_t x = to_timestamp(a, "a comparison").i, y = to_timestamp(b, "a comparison").i;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (is_number(a) || is_number(b)) {
    if (blank_as_null(a).is_null() || blank_as_null(b).is_null()) return std::nullopt;
    Value x = number_of(a, "a comparison"), y = number_of(b, "a comparison");
    if (x.kind == Value::Kind::kInt && y.kind == Value::Kind::kInt) return x.i < y.i ? -1 : x.i > y.i ? 1 : 0;
    double p = x.kind == Value::Kind::kInt ? double(x.i) : x.f, q = y.kind == Value::Kind::kInt ? double(y.i) : y.f;
    return p < q ? -1 : p > q ? 1 : 0;
  }
  if (a.kind == Value::Kind::kBool || b.kind == Value::Kind::kBool) {
    auto truth = [](const Value& v) {
      if (v.kind == Value::Kind::kBool) return v.b;
      std::string t = upper(v.s);
      if (t == "TRUE") return true;
      if (t == "FALSE") return false;
      throw QueryError("Cannot use '" + v.s + "' as a boolean.");
    };
    return int(truth(a)) - int(truth(b));
  }
  int c = a.s.compare(b.s);
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

bool like(std::string_view s, std::string_view p) {
  if (p.empty()) return s.empty();
  if (p[0] == '%') {
    for (size_t k = 0; k <= s.size(); ++k)
      if (like(s.substr(k), p.substr(1))) return true;
    return false;
  }
  if (s.empty()) return false;
  return (p[0] == '_' || p[0] == s[0]) && like(s.substr(1), p.substr(1));
}

std::optional<bool> truth(const Value& v) {
  if (v.is_null()) return std::nullopt;
  if (v.kind == Value::Kind::kBool) return v.b;
  throw QueryError("A condition must be true or false, not '" + v.to_text() + "'.");
}
Value from_truth(std::optional<bool> t) { return t ? Value::boolean(*t) : Value::null(); }


Value arithmetic(const std::string& op, const Value& a, const Value& b) {
  if (blank_as_null(a).is_null() || blank_as_null(b).is_null()) return Value::null();
  // A timestamp plus or minus a whole number of days.
  bool ts_a = a.kind == Value::Kind::kTimestamp, ts_b = b.kind == Value::Kind::kTimestamp;
  if (ts_a || ts_b) {
    const Value& n = ts_a ? b : a;
    Value days = number_of(n, "timestamp arithmetic");
    if (ts_a == ts_b || days.kind != Value::Kind::kInt || days.i == INT64_MIN || (op != "+" && !(op == "-" && ts_a)))
      throw QueryError("A timestamp takes only + or - a whole number of days.");
    return date_add(DatePart::kDay, op == "-" ? -days.i : days.i, ts_a ? a : b);
  }
  Value x = number_of(a, "arithmetic"), y = number_of(b, "arithmetic");
  if (x.kind == Value::Kind::kInt && y.kind == Value::Kind::kInt) {
    if ((op == "/" || op == "%") && y.i == 0) throw QueryError("Division by zero.");
    int64_t v = 0;  // past 64 bits, the result is a float
    if (op == "+" && !__builtin_add_overflow(x.i, y.i, &v)) return Value::integer(v);
    if (op == "-" && !__builtin_sub_overflow(x.i, y.i, &v)) return Value::integer(v);
    if (op == "*" && !__builtin_mul_overflow(x.i, y.i, &v)) return Value::integer(v);
    if (y.i == -1 && (op == "%" || op == "/")) {  // INT64_MIN / -1 overflows
      if (op == "%") return Value::integer(0);
      if (x.i != INT64_MIN) return Value::integer(-x.i);
    } else if (op == "%") {
      return Value::integer(x.i % y.i);
    } else if (op == "/" && x.i % y.i == 0) {
      return Value::integer(x.i / y.i);  // else a fraction, not a truncated integer
    }
  }
  double p = x.kind == Value::Kind::kInt ? double(x.i) : x.f, q = y.kind == Value::Kind::kInt ? double(y.i) : y.f;
  if ((op == "/" || op == "%") && q == 0) throw QueryError("Division by zero.");
  if (op == "+") return Value::real(p + q);
  if (op == "-") return Value::real(p - q);
  if (op == "*") return Value::real(p * q);
  if (op == "/") return Value::real(p / q);
  return Value::real(std::fmod(p, q));
}

Value cast(const Value& value, const std::string& type) {
  const bool numeric = type != "STRING" && type != "VARCHAR" && type != "CHAR" && type != "TIMESTAMP";
  Value v = numeric ? blank_as_null(value) : value;
  if (v.is_null()) return v;
  if (type == "INT" || type == "INTEGER" || type == "BIGINT") {
    Value n = number_of(v, "CAST");
    if (n.kind == Value::Kind::kInt) return n;
    if (!(n.f > -9.2e18 && n.f < 9.2e18)) throw QueryError("'" + v.to_text() + "' is out of range for INT.");
    return Value::integer(int64_t(n.f));
  }
  if (type == "FLOAT" || type == "DOUBLE" || type == "REAL" || type == "DECIMAL" || type == "NUMERIC") {
    Value n = number_of(v, "CAST");
    return Value::real(n.kind == Value::Kind::kInt ? double(n.i) : n.f);
  }
  if (type == "BOOL" || type == "BOOLEAN") {
    if (v.kind == Value::Kind::kBool) return v;
    std::string t = upper(v.to_text());
    if (t == "TRUE" || t == "1") return Value::boolean(true);
    if (t == "FALSE" || t == "0") return Value::boolean(false);
    throw QueryError("Cannot CAST '" + v.to_text() + "' to BOOLEAN.");
  }
  if (type == "TIMESTAMP") return to_timestamp(v, "CAST");
  return Value::text(v.to_text());  // STRING, VARCHAR, CHAR
}

}  // namespace kiln::blob::query
