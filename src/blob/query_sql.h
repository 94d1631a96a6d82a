// The SQL of Query Blob (Azure's "query acceleration"): one SELECT over the
// records of one blob, parsed once per request and run record by record.
//
//   SELECT * | item [, item]...  FROM BlobStorage  [WHERE condition]  [LIMIT n]
//
// Items are expressions with an optional `AS name`; fields are named by the
// CSV header (`price`, `"unit price"`), by position (`_1`, `_2`, …) or by a
// JSON path (`a.b`). Operators: arithmetic, comparisons, AND / OR / NOT, IS
// [NOT] NULL, IS [NOT] MISSING, [NOT] LIKE, [NOT] IN, [NOT] BETWEEN; functions CAST, LOWER,
// UPPER, CHAR_LENGTH, SUBSTRING, TRIM ([BOTH | LEADING | TRAILING] [chars]
// FROM), NULLIF, COALESCE, and for TIMESTAMPs (query_time.h) TO_TIMESTAMP,
// TO_STRING, DATE_ADD, DATE_DIFF, EXTRACT, UTCNOW and `+` / `-` days;
// aggregates COUNT, SUM, AVG, MIN, MAX (then every item aggregates and one
// record comes out at the end). A text field compared with a number is
// compared as a number, as Azure does for CSV (with a timestamp: as one).
// Pure: no I/O. A Query is used by one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::blob::query {

struct Value {
  enum class Kind { kNull, kBool, kInt, kFloat, kString, kTimestamp };
  Kind kind = Kind::kNull;
  bool b = false;
  int64_t i = 0;  // an integer, or a timestamp's microseconds since 1970 (UTC)
  double f = 0;
  std::string s;
  int tz = 0;  // a timestamp's UTC offset as written, in minutes (query_time.h)

  static Value null() { return {}; }
  static Value boolean(bool v) { Value x; x.kind = Kind::kBool; x.b = v; return x; }
  static Value integer(int64_t v) { Value x; x.kind = Kind::kInt; x.i = v; return x; }
  static Value real(double v) { Value x; x.kind = Kind::kFloat; x.f = v; return x; }
  static Value text(std::string v) { Value x; x.kind = Kind::kString; x.s = std::move(v); return x; }
  static Value timestamp(int64_t us, int tz_minutes) { Value x; x.kind = Kind::kTimestamp; x.i = us; x.tz = tz_minutes; return x; }
  bool is_null() const { return kind == Kind::kNull; }
  // As text in a result record: numbers in their shortest form, null as "".
  std::string to_text() const;
};

// A query that cannot run (400 ErrorProcessingQueryExpression), or a record
// it could not evaluate (reported in the result stream, the record skipped).
struct QueryError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// One input record as the query sees it.
class Record {
 public:
  virtual ~Record() = default;
  // The field at `path` (a header name, or a JSON path), matched without
  // regard to case unless `quoted`; null when there is none.
  virtual Value field(const std::vector<std::string>& path, bool quoted) const = 0;
  // The field at 1-based `position` (`_3`); null when there is none.
  virtual Value position(size_t position) const = 0;
  // Whether the record has a field at `path` at all (IS MISSING), null or not.
  virtual bool has(const std::vector<std::string>& path, bool quoted) const { return !field(path, quoted).is_null(); }
};

struct Column {
  std::string name;  // the AS name, the field's name, or `_<n>` for the n-th item
  Value value;
};

class Query {
 public:
  // Throws QueryError for anything outside the grammar above.
  static Query parse(std::string_view sql);
  Query(Query&&) noexcept;
  Query& operator=(Query&&) noexcept;
  ~Query();

  bool select_all() const;  // SELECT *: a matching record is written as it came
  bool aggregates() const;
  // Runs the query on `r`: the record's result columns when it matches (empty
  // for SELECT *), nullopt when it does not or when the query aggregates (its
  // values are then accumulated). Throws QueryError when `r` cannot be evaluated.
  std::optional<std::vector<Column>> apply(const Record& r);
  // An aggregating query's one result, after the last record.
  std::vector<Column> result() const;
  // True once LIMIT records have matched: the rest need not be read.
  bool done() const;

 private:
  struct Impl;
  explicit Query(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kiln::blob::query
