#include "blob/query_sql.h"

#include <gtest/gtest.h>

#include <map>

namespace kiln::blob::query {
namespace {

// A CSV-like record: named text fields in order.
class Row : public Record {
 public:
  Row(std::vector<std::pair<std::string, std::string>> fields) : fields_(std::move(fields)) {}
  Value field(const std::vector<std::string>& path, bool) const override {
    for (const auto& [k, v] : fields_)
      if (path.size() == 1 && k == path[0]) return Value::text(v);
    return Value::null();
  }
  Value position(size_t n) const override { return n <= fields_.size() ? Value::text(fields_[n - 1].second) : Value::null(); }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

Row fruit(const std::string& name, const std::string& price) { return Row({{"name", name}, {"price", price}}); }

// The first column of each matching row, as text.
std::vector<std::string> run(const std::string& sql, const std::vector<Row>& rows) {
  Query q = Query::parse(sql);
  std::vector<std::string> out;
  for (const auto& r : rows) {
    if (auto cols = q.apply(r)) out.push_back(cols->empty() ? "*" : (*cols)[0].value.to_text());
  }
  return out;
}

const std::vector<Row> kFruit = {fruit("apple", "1.5"), fruit("pear", "2"), fruit("fig", "10"), fruit("kiwi", "")};

TEST(QuerySql, ComparesTextFieldsWithNumbersAsNumbers) {
  EXPECT_EQ(run("SELECT name FROM BlobStorage WHERE price > 1.9", {kFruit[0], kFruit[1], kFruit[2]}),
            (std::vector<std::string>{"pear", "fig"}));  // "10" > 1.9 although "10" < "1.9" as text
  EXPECT_EQ(run("SELECT name FROM BlobStorage WHERE name = 'fig'", kFruit), std::vector<std::string>{"fig"});
  // Keywords in any case, a closing semicolon; a blank field meets a number as unknown (kiwi).
  EXPECT_EQ(run("select name from blobstorage where _2 >= 2 and not name like 'f%';", kFruit),
            std::vector<std::string>{"pear"});
  EXPECT_EQ(run("SELECT _1 FROM BlobStorage WHERE _2 >= 2 AND NOT _1 LIKE 'f%'", {kFruit[0], kFruit[1], kFruit[2]}),
            std::vector<std::string>{"pear"});
}

TEST(QuerySql, PredicatesAndFunctions) {
  auto rows = std::vector<Row>{kFruit[0], kFruit[1], kFruit[2]};
  EXPECT_EQ(run("SELECT name FROM BlobStorage WHERE name IN ('fig', 'pear')", rows),
            (std::vector<std::string>{"pear", "fig"}));
  EXPECT_EQ(run("SELECT name FROM BlobStorage WHERE price NOT BETWEEN 1 AND 5", rows), std::vector<std::string>{"fig"});
  EXPECT_EQ(run("SELECT UPPER(SUBSTRING(name, 2, 3)) FROM BlobStorage WHERE name = 'apple'", rows),
            std::vector<std::string>{"PPL"});
  EXPECT_EQ(run("SELECT SUBSTRING(name FROM 3) FROM BlobStorage WHERE CHAR_LENGTH(name) = 3", rows),
            std::vector<std::string>{"g"});
  EXPECT_EQ(run("SELECT CAST(price AS INT) * 2 + 1 FROM BlobStorage WHERE name = 'fig'", rows),
            std::vector<std::string>{"21"});
  EXPECT_EQ(run("SELECT price / 4 FROM BlobStorage WHERE name = 'pear'", rows), std::vector<std::string>{"0.5"});
  EXPECT_EQ(run("SELECT TRIM('  a b  ') FROM BlobStorage LIMIT 1", rows), std::vector<std::string>{"a b"});
  // Past 64 bits integers become floats rather than wrapping.
  EXPECT_EQ(run("SELECT 9223372036854775807 + 1 FROM BlobStorage LIMIT 1", rows), std::vector<std::string>{"9223372036854775808"});
  EXPECT_EQ(run("SELECT -9223372036854775807 - 1 FROM BlobStorage LIMIT 1", rows), std::vector<std::string>{"-9223372036854775808"});
  EXPECT_EQ(run("SELECT * FROM BlobStorage WHERE missing IS NULL LIMIT 2", rows), (std::vector<std::string>{"*", "*"}));
}

TEST(QuerySql, TimestampsNullifCoalesceAndTrimForms) {
  std::vector<Row> rows = {Row({{"name", "a"}, {"when", "2020-01-31T10:00:00+01:00"}, {"note", ""}}),
                           Row({{"name", "b"}, {"when", "2021-06-15T00:00:00Z"}, {"note", "x"}})};
  EXPECT_EQ(run("SELECT name FROM BlobStorage WHERE CAST(when AS TIMESTAMP) > '2021-01-01'", rows),
            std::vector<std::string>{"b"});
  EXPECT_EQ(run("SELECT DATE_ADD(month, 1, when) FROM BlobStorage WHERE name = 'a'", rows),
            std::vector<std::string>{"2020-02-29T10:00:00+01:00"});
  EXPECT_EQ(run("SELECT EXTRACT(YEAR FROM when) FROM BlobStorage", rows), (std::vector<std::string>{"2020", "2021"}));
  EXPECT_EQ(run("SELECT DATE_DIFF('day', when, '2021-06-16T00:00Z') FROM BlobStorage WHERE name = 'b'", rows),
            std::vector<std::string>{"1"});
  EXPECT_EQ(run("SELECT TO_STRING(TO_TIMESTAMP(when) + 1, 'yyyy/MM/dd') FROM BlobStorage", rows),
            (std::vector<std::string>{"2020/02/01", "2021/06/16"}));
  EXPECT_EQ(run("SELECT name FROM BlobStorage WHERE UTCNOW() > CAST(when AS TIMESTAMP)", rows),
            (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(run("SELECT COALESCE(NULLIF(note, ''), 'none') FROM BlobStorage", rows),
            (std::vector<std::string>{"none", "x"}));
  EXPECT_EQ(run("SELECT TRIM(BOTH '12' FROM '1112211Microsoft22211122') FROM BlobStorage WHERE name = 'a'", rows),
            std::vector<std::string>{"Microsoft"});
  EXPECT_EQ(run("SELECT TRIM(LEADING FROM '  x  ') FROM BlobStorage WHERE name = 'a'", rows),
            std::vector<std::string>{"x  "});
  EXPECT_EQ(run("SELECT TRIM(TRAILING 'x' FROM 'axx') FROM BlobStorage WHERE name = 'a'", rows),
            std::vector<std::string>{"a"});
  Query bad = Query::parse("SELECT TO_TIMESTAMP(name) FROM BlobStorage");
  EXPECT_THROW(bad.apply(rows[0]), QueryError);  // a record error, not a query error
  EXPECT_THROW(Query::parse("SELECT DATE_ADD(week, 1, when) FROM BlobStorage"), QueryError);
  EXPECT_THROW(Query::parse("SELECT NULLIF(name) FROM BlobStorage"), QueryError);
}

TEST(QuerySql, NullsAreUnknownInConditions) {
  EXPECT_EQ(run("SELECT name FROM BlobStorage WHERE missing > 1 OR name = 'fig'", kFruit), std::vector<std::string>{"fig"});
  EXPECT_EQ(run("SELECT name FROM BlobStorage WHERE NOT (missing > 1)", kFruit).size(), 0u);
}

TEST(QuerySql, ARecordThatCannotBeEvaluatedThrowsAndTheQueryGoesOn) {
  Query q = Query::parse("SELECT name FROM BlobStorage WHERE price > 1");
  EXPECT_THROW(q.apply(fruit("bad", "abc")), QueryError);
  EXPECT_TRUE(q.apply(fruit("ok", "3")).has_value());
  EXPECT_THROW(Query::parse("SELECT 1 / 0 FROM BlobStorage").apply(kFruit[0]), QueryError);
}

TEST(QuerySql, AggregatesCountOnlyWholeRecords) {
  Query q = Query::parse("SELECT COUNT(*), SUM(price), MIN(price), MAX(name), AVG(price) AS mean FROM BlobStorage");
  ASSERT_TRUE(q.aggregates());
  for (const auto& r : {kFruit[0], kFruit[1], kFruit[2], kFruit[3]}) EXPECT_FALSE(q.apply(r).has_value());
  EXPECT_THROW(q.apply(fruit("bad", "abc")), QueryError);  // counted nowhere
  auto result = q.result();
  ASSERT_EQ(result.size(), 5u);
  EXPECT_EQ(result[0].value.to_text(), "4");
  EXPECT_EQ(result[1].value.to_text(), "13.5");
  EXPECT_EQ(result[2].value.to_text(), "1.5");
  EXPECT_EQ(result[3].value.to_text(), "pear");
  EXPECT_EQ(result[4].name, "mean");
  EXPECT_EQ(result[4].value.to_text(), "4.5");  // the empty price is no number: AVG over 3
}

TEST(QuerySql, LimitEndsTheQuery) {
  Query q = Query::parse("SELECT * FROM BlobStorage LIMIT 1");
  EXPECT_TRUE(q.apply(kFruit[0]).has_value());
  EXPECT_TRUE(q.done());
  EXPECT_FALSE(q.apply(kFruit[1]).has_value());
}

TEST(QuerySql, NamesTheResultColumns) {
  Query q = Query::parse("SELECT name, _2, price * 2, name AS n FROM BlobStorage");
  auto cols = q.apply(kFruit[0]);
  ASSERT_TRUE(cols);
  std::vector<std::string> names;
  for (const auto& c : *cols) names.push_back(c.name);
  EXPECT_EQ(names, (std::vector<std::string>{"name", "_2", "_3", "n"}));
}

TEST(QuerySql, RefusesWhatItCannotRun) {
  for (const char* bad : {"", "SELECT", "SELECT * FROM Elsewhere", "SELECT * FROM BlobStorage WHERE", "SELECT (a FROM BlobStorage",
                          "SELECT name, COUNT(*) FROM BlobStorage", "SELECT * FROM BlobStorage WHERE COUNT(*) > 1",
                          "SELECT SUM(COUNT(*)) FROM BlobStorage", "SELECT SOUNDEX(a) FROM BlobStorage",
                          "SELECT 'open FROM BlobStorage", "SELECT * FROM BlobStorage LIMIT -1", "SELECT a FROM BlobStorage extra",
                          "SELECT CAST(a AS BLOB) FROM BlobStorage", "SELECT a # b FROM BlobStorage"}) {
    EXPECT_THROW(Query::parse(bad), QueryError) << bad;
  }
  // Bounded nesting and depth: a hostile query cannot exhaust the stack.
  auto repeat = [](const std::string& s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += s;
    return out;
  };
  EXPECT_THROW(Query::parse("SELECT " + repeat("(", 100) + "1" + repeat(")", 100) + " FROM BlobStorage"), QueryError);
  EXPECT_THROW(Query::parse("SELECT * FROM BlobStorage WHERE " + repeat("NOT ", 100) + "a = 1"), QueryError);
  EXPECT_THROW(Query::parse("SELECT 1" + repeat(" + 1", 1100) + " FROM BlobStorage"), QueryError);
  EXPECT_THROW(Query::parse("SELECT '" + std::string(20000, 'x') + "' FROM BlobStorage"), QueryError);
  EXPECT_NO_THROW(Query::parse("SELECT " + repeat("(", 20) + "1" + repeat(")", 20) + repeat(" + 1", 500) + " FROM BlobStorage"));
}

}  // namespace
}  // namespace kiln::blob::query
