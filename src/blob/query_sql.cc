#include "blob/query_sql.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <climits>

#include "blob/query_time.h"
#include "blob/query_values.h"
#include "core/text.h"

namespace kiln::blob::query {
namespace {

// Bounds that keep a hostile query from exhausting the stack or the CPU.
constexpr size_t kMaxQueryBytes = 16 * 1024;
constexpr int kMaxNesting = 64;
constexpr int kMaxDepth = 1024;

using text::upper;

// ---- tokens ----------------------------------------------------------------

struct Token {
  enum class Kind { kEnd, kWord, kQuotedName, kString, kNumber, kSymbol };
  Kind kind = Kind::kEnd;
  std::string text;  // a word as written; a string or quoted name unescaped; a symbol
};

std::vector<Token> tokenize(std::string_view s) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t j = i;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
      out.push_back({Token::Kind::kWord, std::string(s.substr(i, j - i))});
      i = j;
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               (c == '.' && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
      size_t j = i;
      while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.')) ++j;
      if (j < s.size() && (s[j] == 'e' || s[j] == 'E')) {
        ++j;
        if (j < s.size() && (s[j] == '+' || s[j] == '-')) ++j;
        while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
      }
      out.push_back({Token::Kind::kNumber, std::string(s.substr(i, j - i))});
      i = j;
    } else if (c == '\'' || c == '"') {  // 'text' and "name", the quote doubled inside
      std::string text;
      size_t j = i + 1;
      for (;; ++j) {
        if (j >= s.size()) throw QueryError("Unterminated quote in the query expression.");
        if (s[j] == c) {
          if (j + 1 < s.size() && s[j + 1] == c) {
            text += c;
            ++j;
            continue;
          }
          break;
        }
        text += s[j];
      }
      out.push_back({c == '\'' ? Token::Kind::kString : Token::Kind::kQuotedName, text});
      i = j + 1;
    } else {
      static const char* two[] = {"<=", ">=", "<>", "!=", "=="};
      std::string sym(1, c);
      for (const char* t : two)
        if (s.substr(i, 2) == t) sym = t;
      if (std::string_view("()*,.+-/%=<>;[]").find(c) == std::string_view::npos && sym.size() == 1)
        throw QueryError(std::string("Unexpected character '") + c + "' in the query expression.");
      out.push_back({Token::Kind::kSymbol, sym});
      i += sym.size();
    }
  }
  out.push_back({});
  return out;
}

// ---- expressions -----------------------------------------------------------

enum class Op { kLiteral, kField, kPosition, kCountAll, kNot, kNeg, kAnd, kOr, kCompare, kArith, kIsNull, kIsMissing,
                kLike, kIn, kBetween, kCall, kCast, kAggregate };

enum class Comparison { kEqual, kNotEqual, kLess, kLessOrEqual, kGreater, kGreaterOrEqual };

// kCall's function, decoded once at parse time (records are many).
enum class Function { kLower, kUpper, kCharLength, kSubstring, kTrimBoth, kTrimLeading, kTrimTrailing, kNullif,
                      kCoalesce, kToTimestamp, kToString, kDateAdd, kDateDiff, kExtract, kUtcNow };

struct Expr {
  Op op = Op::kLiteral;
  Value literal;
  std::vector<std::string> path;
  bool quoted = false;
  size_t position = 0;
  std::string name;     // comparison or arithmetic operator, cast type, aggregate
  bool negate = false;  // NOT LIKE / NOT IN / NOT BETWEEN / IS NOT NULL
  int aggregate = -1;   // index of this aggregate's accumulator
  int depth = 1;        // of the tree below: bounds evaluation's recursion
  Comparison comparison = Comparison::kEqual;  // kCompare's operator, decoded once
  Function function = Function::kLower;        // kCall's
  DatePart part = DatePart::kYear;             // DATE_ADD / DATE_DIFF / EXTRACT
  std::vector<std::unique_ptr<Expr>> args;
};
using ExprPtr = std::unique_ptr<Expr>;

struct Accumulator {
  std::string function;
  int64_t count = 0;
  bool any_float = false;
  int64_t int_sum = 0;
  double float_sum = 0;
  Value best;  // MIN / MAX so far
};

struct Item {
  ExprPtr expr;
  std::string name;
};

}  // namespace

struct Query::Impl {
  std::vector<Token> tokens;
  size_t at = 0;
  bool star = false;
  std::vector<Item> items;
  ExprPtr where;
  std::optional<int64_t> limit;
  int64_t matched = 0;
  std::vector<Accumulator> accumulators;

  // -- parsing --
  const Token& peek(size_t ahead = 0) const { return tokens[std::min(at + ahead, tokens.size() - 1)]; }
  bool word(const char* w, size_t ahead = 0) const {
    return peek(ahead).kind == Token::Kind::kWord && upper(peek(ahead).text) == w;
  }
  bool symbol(const char* s) const { return peek().kind == Token::Kind::kSymbol && peek().text == s; }
  bool accept_word(const char* w) { return word(w) ? (++at, true) : false; }
  bool accept_symbol(const char* s) { return symbol(s) ? (++at, true) : false; }
  [[noreturn]] void fail(const std::string& expected) const {
    std::string got = peek().kind == Token::Kind::kEnd ? "the end" : "'" + peek().text + "'";
    throw QueryError("Syntax error: expected " + expected + " but found " + got + ".");
  }
  void expect_word(const char* w) { if (!accept_word(w)) fail(w); }
  void expect_symbol(const char* s) { if (!accept_symbol(s)) fail(std::string("'") + s + "'"); }

  void parse_query() {
    expect_word("SELECT");
    if (accept_symbol("*")) {
      star = true;
    } else {
      do {
        Item item;
        item.expr = parse_or();
        if (accept_word("AS")) {
          if (peek().kind != Token::Kind::kWord && peek().kind != Token::Kind::kQuotedName) fail("a column name");
          item.name = tokens[at++].text;
        } else if (item.expr->op == Op::kField) {
          item.name = item.expr->path.back();
        } else if (item.expr->op == Op::kPosition) {
          item.name = "_" + std::to_string(item.expr->position);
        } else {
          item.name = "_" + std::to_string(items.size() + 1);
        }
        items.push_back(std::move(item));
      } while (accept_symbol(","));
    }
    expect_word("FROM");
    if (!word("BLOBSTORAGE")) fail("BlobStorage");
    ++at;
    if (accept_symbol("[")) {  // BlobStorage[*]: the records of a JSON array
      expect_symbol("*");
      expect_symbol("]");
    }
    if (accept_word("WHERE")) where = parse_or();
    if (accept_word("LIMIT")) {
      if (peek().kind != Token::Kind::kNumber) fail("a number");
      int64_t n = 0;
      const std::string& t = tokens[at++].text;
      auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
      if (ec != std::errc() || p != t.data() + t.size() || n < 0) throw QueryError("LIMIT takes a whole number.");
      limit = n;
    }
    accept_symbol(";");
    if (peek().kind != Token::Kind::kEnd) fail("the end of the query");
    if (where && has_aggregate(*where)) throw QueryError("WHERE cannot use an aggregate.");
    if (!accumulators.empty()) {
      for (const auto& item : items)
        if (has_plain_field(*item.expr)) throw QueryError("Aggregates cannot be mixed with plain columns.");
    }
  }

  static bool has_aggregate(const Expr& e) {
    if (e.op == Op::kAggregate) return true;
    return std::any_of(e.args.begin(), e.args.end(), [](const ExprPtr& a) { return has_aggregate(*a); });
  }
  // A field read outside any aggregate (a per-record value).
  static bool has_plain_field(const Expr& e) {
    if (e.op == Op::kField || e.op == Op::kPosition) return true;
    if (e.op == Op::kAggregate) return false;
    return std::any_of(e.args.begin(), e.args.end(), [](const ExprPtr& a) { return has_plain_field(*a); });
  }

  ExprPtr node(Op op, std::string name = "") {
    auto e = std::make_unique<Expr>();
    e->op = op;
    e->name = std::move(name);
    return e;
  }
  ExprPtr call_node(Function f) {
    auto e = node(Op::kCall);
    e->function = f;
    return e;
  }
  // `e` with its depth taken from its arguments.
  static ExprPtr sealed(ExprPtr e) {
    for (const auto& a : e->args) e->depth = std::max(e->depth, a->depth + 1);
    if (e->depth > kMaxDepth) throw QueryError("The query expression is nested too deeply.");
    return e;
  }
  ExprPtr binary(Op op, std::string name, ExprPtr a, ExprPtr b) {
    auto e = node(op, std::move(name));
    e->args.push_back(std::move(a));
    e->args.push_back(std::move(b));
    return sealed(std::move(e));
  }
  // Parsing recursion (parentheses, NOT, unary minus), bounded like the tree.
  struct Nested {
    explicit Nested(int& n) : n_(n) {
      if (++n_ > kMaxNesting) throw QueryError("The query expression is nested too deeply.");
    }
    ~Nested() { --n_; }
    int& n_;
  };
  int nesting = 0;

  ExprPtr parse_or() {
    Nested guard(nesting);
    auto e = parse_and();
    while (accept_word("OR")) e = binary(Op::kOr, "", std::move(e), parse_and());
    return e;
  }
  ExprPtr parse_and() {
    auto e = parse_not();
    while (accept_word("AND")) e = binary(Op::kAnd, "", std::move(e), parse_not());
    return e;
  }
  ExprPtr parse_not() {
    if (!accept_word("NOT")) return parse_predicate();
    Nested guard(nesting);
    auto e = node(Op::kNot);
    e->args.push_back(parse_not());
    return sealed(std::move(e));
  }
  ExprPtr parse_predicate() {
    auto e = parse_additive();
    for (const char* op : {"=", "==", "!=", "<>", "<", "<=", ">", ">="}) {
      if (accept_symbol(op)) {
        auto c = binary(Op::kCompare, op, std::move(e), parse_additive());
        std::string_view o = op;
        c->comparison = o == "=" || o == "==" ? Comparison::kEqual : o == "!=" || o == "<>" ? Comparison::kNotEqual
                        : o == "<" ? Comparison::kLess : o == "<=" ? Comparison::kLessOrEqual
                        : o == ">" ? Comparison::kGreater : Comparison::kGreaterOrEqual;
        return c;
      }
    }
    if (accept_word("IS")) {  // IS [NOT] NULL, IS [NOT] MISSING (a field the record lacks)
      bool negate = accept_word("NOT");
      auto n = node(accept_word("MISSING") ? Op::kIsMissing : Op::kIsNull);
      if (n->op == Op::kIsNull) expect_word("NULL");
      else if (e->op != Op::kField && e->op != Op::kPosition) throw QueryError("IS MISSING takes a field.");
      n->negate = negate;
      n->args.push_back(std::move(e));
      return sealed(std::move(n));
    }
    bool negate = word("NOT") && (word("LIKE", 1) || word("IN", 1) || word("BETWEEN", 1));
    if (negate) ++at;
    if (accept_word("LIKE")) {
      auto n = binary(Op::kLike, "", std::move(e), parse_additive());
      n->negate = negate;
      return n;
    }
    if (accept_word("IN")) {
      auto n = node(Op::kIn);
      n->negate = negate;
      n->args.push_back(std::move(e));
      expect_symbol("(");
      do n->args.push_back(parse_additive());
      while (accept_symbol(","));
      expect_symbol(")");
      return sealed(std::move(n));
    }
    if (accept_word("BETWEEN")) {
      auto n = node(Op::kBetween);
      n->negate = negate;
      n->args.push_back(std::move(e));
      n->args.push_back(parse_additive());
      expect_word("AND");
      n->args.push_back(parse_additive());
      return sealed(std::move(n));
    }
    if (negate) fail("LIKE, IN or BETWEEN");
    return e;
  }
  ExprPtr parse_additive() {
    auto e = parse_multiplicative();
    for (;;) {
      if (accept_symbol("+")) e = binary(Op::kArith, "+", std::move(e), parse_multiplicative());
      else if (accept_symbol("-")) e = binary(Op::kArith, "-", std::move(e), parse_multiplicative());
      else return e;
    }
  }
  ExprPtr parse_multiplicative() {
    auto e = parse_unary();
    for (;;) {
      if (accept_symbol("*")) e = binary(Op::kArith, "*", std::move(e), parse_unary());
      else if (accept_symbol("/")) e = binary(Op::kArith, "/", std::move(e), parse_unary());
      else if (accept_symbol("%")) e = binary(Op::kArith, "%", std::move(e), parse_unary());
      else return e;
    }
  }
  ExprPtr parse_unary() {
    Nested guard(nesting);
    if (accept_symbol("-")) {
      auto e = node(Op::kNeg);
      e->args.push_back(parse_unary());
      return sealed(std::move(e));
    }
    accept_symbol("+");
    return parse_primary();
  }

  ExprPtr parse_primary() {
    const Token t = peek();
    if (accept_symbol("(")) {
      auto e = parse_or();
      expect_symbol(")");
      return e;
    }
    if (t.kind == Token::Kind::kNumber) {
      ++at;
      auto e = node(Op::kLiteral);
      bool is_int = false;
      int64_t i = 0;
      auto d = as_number(Value::text(t.text), is_int, i);
      if (!d) throw QueryError("'" + t.text + "' is not a number.");
      e->literal = is_int ? Value::integer(i) : Value::real(*d);
      return e;
    }
    if (t.kind == Token::Kind::kString) {
      ++at;
      auto e = node(Op::kLiteral);
      e->literal = Value::text(t.text);
      return e;
    }
    if (t.kind == Token::Kind::kQuotedName) {
      ++at;
      return field_path(t.text, true);
    }
    if (t.kind != Token::Kind::kWord) fail("an expression");
    std::string w = upper(t.text);
    ++at;
    if (w == "NULL") return node(Op::kLiteral);
    if (w == "TRUE" || w == "FALSE") {
      auto e = node(Op::kLiteral);
      e->literal = Value::boolean(w == "TRUE");
      return e;
    }
    if (!symbol("(")) return field_path(t.text, false);
    ++at;
    if (w == "COUNT" || w == "SUM" || w == "AVG" || w == "MIN" || w == "MAX") {
      auto e = node(Op::kAggregate, w);
      if (w == "COUNT" && accept_symbol("*")) {
        e->args.push_back(node(Op::kCountAll));
      } else {
        auto arg = parse_or();
        if (has_aggregate(*arg)) throw QueryError("Aggregates cannot be nested.");
        e->args.push_back(std::move(arg));
      }
      expect_symbol(")");
      e->aggregate = int(accumulators.size());
      accumulators.emplace_back().function = w;
      return sealed(std::move(e));
    }
    if (w == "CAST") {
      auto e = node(Op::kCast);
      e->args.push_back(parse_or());
      expect_word("AS");
      if (peek().kind != Token::Kind::kWord) fail("a type");
      e->name = upper(tokens[at++].text);
      static const char* types[] = {"INT", "INTEGER", "BIGINT", "FLOAT", "DOUBLE", "REAL", "DECIMAL", "NUMERIC",
                                    "STRING", "VARCHAR", "CHAR", "BOOL", "BOOLEAN", "TIMESTAMP"};
      if (std::find_if(std::begin(types), std::end(types), [&](const char* x) { return e->name == x; }) == std::end(types))
        throw QueryError("CAST to " + e->name + " is not supported.");
      expect_symbol(")");
      return sealed(std::move(e));
    }
    if (w == "DATE_ADD" || w == "DATE_DIFF") {  // (part, quantity | timestamp, timestamp)
      auto e = call_node(w == "DATE_ADD" ? Function::kDateAdd : Function::kDateDiff);
      e->part = date_part_argument(false);
      expect_symbol(",");
      e->args.push_back(parse_or());
      expect_symbol(",");
      e->args.push_back(parse_or());
      expect_symbol(")");
      return sealed(std::move(e));
    }
    if (w == "EXTRACT") {  // EXTRACT(part FROM timestamp)
      auto e = call_node(Function::kExtract);
      e->part = date_part_argument(true);
      expect_word("FROM");
      e->args.push_back(parse_or());
      expect_symbol(")");
      return sealed(std::move(e));
    }
    if (w == "UTCNOW") {
      expect_symbol(")");
      return call_node(Function::kUtcNow);
    }
    if (w == "TO_TIMESTAMP" || w == "TO_STRING" || w == "NULLIF" || w == "COALESCE") {
      auto e = call_node(w == "TO_TIMESTAMP" ? Function::kToTimestamp : w == "TO_STRING" ? Function::kToString
                         : w == "NULLIF" ? Function::kNullif : Function::kCoalesce);
      do e->args.push_back(parse_or());
      while (accept_symbol(","));
      expect_symbol(")");
      size_t n = e->args.size();
      if ((w == "TO_TIMESTAMP" && n != 1) || ((w == "TO_STRING" || w == "NULLIF") && n != 2))
        throw QueryError(w + " takes " + (w == "TO_TIMESTAMP" ? "one argument (ISO 8601 text)." : "two arguments."));
      return sealed(std::move(e));
    }
    if (w == "TRIM") {  // TRIM(s) or TRIM([BOTH | LEADING | TRAILING] [characters] FROM s)
      auto e = call_node(accept_word("LEADING") ? Function::kTrimLeading
                         : accept_word("TRAILING") ? Function::kTrimTrailing : Function::kTrimBoth);
      bool keyword = e->function != Function::kTrimBoth || accept_word("BOTH");
      if (keyword && accept_word("FROM")) {
        e->args.push_back(parse_or());
      } else {
        e->args.push_back(parse_or());
        if (accept_word("FROM")) e->args.push_back(parse_or());  // the characters, then the text
        else if (keyword) fail("FROM");
      }
      expect_symbol(")");
      return sealed(std::move(e));
    }
    if (w == "LOWER" || w == "UPPER" || w == "CHAR_LENGTH" || w == "CHARACTER_LENGTH" || w == "SUBSTRING") {
      auto e = call_node(w == "LOWER" ? Function::kLower : w == "UPPER" ? Function::kUpper
                         : w == "SUBSTRING" ? Function::kSubstring : Function::kCharLength);
      e->args.push_back(parse_or());
      if (w == "SUBSTRING") {  // SUBSTRING(s, start[, length]) or SUBSTRING(s FROM start [FOR length])
        bool from = accept_word("FROM");
        if (!from) expect_symbol(",");
        e->args.push_back(parse_or());
        if (from ? accept_word("FOR") : accept_symbol(",")) e->args.push_back(parse_or());
      }
      expect_symbol(")");
      return sealed(std::move(e));
    }
    throw QueryError("The function " + t.text + " is not supported by Kiln.");
  }

  // A date part: a word (EXTRACT(YEAR FROM …)) or a text literal (DATE_ADD('minute', …)).
  DatePart date_part_argument(bool for_extract) {
    const Token& t = peek();
    if (t.kind != Token::Kind::kWord && t.kind != Token::Kind::kString) fail("a date part");
    ++at;
    return date_part(t.text, for_extract);
  }

  ExprPtr field_path(const std::string& first, bool quoted) {
    auto e = node(Op::kField);
    e->quoted = quoted;
    e->path.push_back(first);
    size_t n = 0;
    if (!quoted && first.size() > 1 && first[0] == '_' &&
        std::all_of(first.begin() + 1, first.end(), [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)); }) &&
        std::from_chars(first.data() + 1, first.data() + first.size(), n).ec == std::errc() && n > 0 && !symbol(".")) {
      e->op = Op::kPosition;
      e->position = n;
      return e;
    }
    while (accept_symbol(".")) {
      if (peek().kind != Token::Kind::kWord && peek().kind != Token::Kind::kQuotedName) fail("a field name");
      e->path.push_back(tokens[at++].text);
    }
    return e;
  }

  // -- evaluation --
  Value eval(const Expr& e, const Record& r) {
    switch (e.op) {
      case Op::kLiteral: return e.literal;
      case Op::kField: return r.field(e.path, e.quoted);
      case Op::kPosition: return r.position(e.position);
      case Op::kCountAll: return Value::integer(1);
      case Op::kAggregate: return aggregate_value(accumulators[size_t(e.aggregate)]);
      case Op::kNot: {
        auto t = truth(eval(*e.args[0], r));
        return from_truth(t ? std::optional<bool>(!*t) : std::nullopt);
      }
      case Op::kAnd: {
        auto a = truth(eval(*e.args[0], r));
        if (a && !*a) return Value::boolean(false);
        auto b = truth(eval(*e.args[1], r));
        if (b && !*b) return Value::boolean(false);
        return from_truth(a && b ? std::optional<bool>(true) : std::nullopt);
      }
      case Op::kOr: {
        auto a = truth(eval(*e.args[0], r));
        if (a && *a) return Value::boolean(true);
        auto b = truth(eval(*e.args[1], r));
        if (b && *b) return Value::boolean(true);
        return from_truth(a && b ? std::optional<bool>(false) : std::nullopt);
      }
      case Op::kCompare: {
        auto c = compare(eval(*e.args[0], r), eval(*e.args[1], r));
        if (!c) return Value::null();
        switch (e.comparison) {
          case Comparison::kEqual: return Value::boolean(*c == 0);
          case Comparison::kNotEqual: return Value::boolean(*c != 0);
          case Comparison::kLess: return Value::boolean(*c < 0);
          case Comparison::kLessOrEqual: return Value::boolean(*c <= 0);
          case Comparison::kGreater: return Value::boolean(*c > 0);
          case Comparison::kGreaterOrEqual: return Value::boolean(*c >= 0);
        }
        return Value::null();
      }
      case Op::kIsNull: return Value::boolean(eval(*e.args[0], r).is_null() != e.negate);
      case Op::kIsMissing: {
        const Expr& f = *e.args[0];
        bool present = f.op == Op::kField ? r.has(f.path, f.quoted) : !r.position(f.position).is_null();
        return Value::boolean(present == e.negate);
      }
      case Op::kLike: {
        Value s = eval(*e.args[0], r), p = eval(*e.args[1], r);
        if (s.is_null() || p.is_null()) return Value::null();
        return Value::boolean(like(s.to_text(), p.to_text()) != e.negate);
      }
      case Op::kIn: {
        Value v = eval(*e.args[0], r);
        if (v.is_null()) return Value::null();
        bool found = false;
        for (size_t k = 1; k < e.args.size() && !found; ++k) found = compare(v, eval(*e.args[k], r)) == 0;
        return Value::boolean(found != e.negate);
      }
      case Op::kBetween: {
        Value v = eval(*e.args[0], r);
        auto lo = compare(v, eval(*e.args[1], r)), hi = compare(v, eval(*e.args[2], r));
        if (!lo || !hi) return Value::null();
        return Value::boolean((*lo >= 0 && *hi <= 0) != e.negate);
      }
      case Op::kNeg: {
        Value v = eval(*e.args[0], r);
        if (v.is_null()) return v;
        v = number_of(v, "'-'");
        if (v.kind == Value::Kind::kInt && v.i != INT64_MIN) return Value::integer(-v.i);
        return Value::real(-(v.kind == Value::Kind::kInt ? double(v.i) : v.f));
      }
      case Op::kArith: return arithmetic(e.name, eval(*e.args[0], r), eval(*e.args[1], r));
      case Op::kCast: return cast(eval(*e.args[0], r), e.name);
      case Op::kCall: return call(e, r);
    }
    return Value::null();
  }

  Value call(const Expr& e, const Record& r) {
    const Function f = e.function;
    if (f == Function::kUtcNow) {
      auto now = std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
      return Value::timestamp(now.time_since_epoch().count(), 0);
    }
    if (f == Function::kCoalesce) {
      for (const auto& arg : e.args) {
        Value v = eval(*arg, r);
        if (!v.is_null()) return v;
      }
      return Value::null();
    }
    Value v = eval(*e.args[0], r);
    if (f == Function::kNullif) return compare(v, eval(*e.args[1], r)) == 0 ? Value::null() : v;
    if (v.is_null()) return v;
    switch (f) {
      case Function::kToTimestamp: return to_timestamp(v, "TO_TIMESTAMP");
      case Function::kExtract: return Value::integer(extract(e.part, to_timestamp(v, "EXTRACT")));
      case Function::kToString: {
        Value pattern = eval(*e.args[1], r);
        if (pattern.is_null()) return pattern;
        return Value::text(format_timestamp(to_timestamp(v, "TO_STRING"), pattern.to_text()));
      }
      case Function::kDateAdd:
      case Function::kDateDiff: {
        Value second = eval(*e.args[1], r);
        if (second.is_null()) return second;
        if (f == Function::kDateDiff)
          return Value::integer(date_diff(e.part, to_timestamp(v, "DATE_DIFF"), to_timestamp(second, "DATE_DIFF")));
        Value n = number_of(v, "DATE_ADD");
        if (n.kind != Value::Kind::kInt) throw QueryError("DATE_ADD takes a whole number.");
        return date_add(e.part, n.i, to_timestamp(second, "DATE_ADD"));
      }
      default: break;
    }
    std::string s = v.to_text();
    if (f == Function::kLower || f == Function::kUpper) {
      for (char& ch : s)
        ch = char(f == Function::kLower ? std::tolower(static_cast<unsigned char>(ch)) : std::toupper(static_cast<unsigned char>(ch)));
      return Value::text(s);
    }
    if (f == Function::kCharLength) {  // characters, not bytes: count UTF-8 lead bytes
      return Value::integer(std::count_if(s.begin(), s.end(), [](char ch) { return (static_cast<unsigned char>(ch) & 0xC0) != 0x80; }));
    }
    if (f == Function::kTrimBoth || f == Function::kTrimLeading || f == Function::kTrimTrailing) {
      std::string chars = " ";  // args: the text, or the characters then the text
      if (e.args.size() > 1) {
        Value t = eval(*e.args[1], r);
        if (t.is_null()) return t;
        chars = s;
        s = t.to_text();
      }
      if (f != Function::kTrimTrailing) s.erase(0, s.find_first_not_of(chars));
      if (f != Function::kTrimLeading) {
        size_t last = s.find_last_not_of(chars);
        s.erase(last == std::string::npos ? 0 : last + 1);
      }
      return Value::text(s);
    }
    // SUBSTRING: 1-based start, as SQL; a start before 1 eats into the length.
    Value start = number_of(eval(*e.args[1], r), "SUBSTRING");
    auto whole = [](const Value& n) {
      if (n.kind == Value::Kind::kInt) return n.i;
      if (!(n.f > -9.2e18 && n.f < 9.2e18)) throw QueryError("SUBSTRING takes whole numbers in range.");
      return int64_t(n.f);
    };
    int64_t from = std::clamp<int64_t>(whole(start), -(int64_t(1) << 40), int64_t(1) << 40);
    int64_t end = int64_t(s.size()) + 1;
    if (e.args.size() > 2) {
      Value len = number_of(eval(*e.args[2], r), "SUBSTRING");
      int64_t n = std::min<int64_t>(whole(len), int64_t(1) << 40);
      if (n < 0) throw QueryError("SUBSTRING takes a length of 0 or more.");
      end = std::min(end, from + n);
    }
    from = std::max<int64_t>(from, 1);
    if (end <= from) return Value::text("");
    return Value::text(s.substr(size_t(from - 1), size_t(end - from)));
  }

  static Value aggregate_value(const Accumulator& a) {
    if (a.function == "COUNT") return Value::integer(a.count);
    if (a.count == 0) return Value::null();
    if (a.function == "SUM") return a.any_float ? Value::real(a.float_sum + double(a.int_sum)) : Value::integer(a.int_sum);
    if (a.function == "AVG") return Value::real((a.float_sum + double(a.int_sum)) / double(a.count));
    return a.best;
  }

  // The values of the record's aggregate arguments, all evaluated before any
  // is added, so a record that fails counts nowhere.
  void collect(const Expr& e, const Record& r, std::vector<std::pair<size_t, Value>>& out) {
    if (e.op == Op::kAggregate) {
      Value v = blank_as_null(eval(*e.args[0], r));
      const std::string& f = accumulators[size_t(e.aggregate)].function;
      if (!v.is_null() && (f == "SUM" || f == "AVG")) v = number_of(v, f.c_str());
      bool is_int = false;
      int64_t i = 0;
      if (v.kind == Value::Kind::kString && (f == "MIN" || f == "MAX")) {  // numbers in text compare as numbers
        if (auto d = as_number(v, is_int, i)) v = is_int ? Value::integer(i) : Value::real(*d);
      }
      if (f == "MIN" || f == "MAX") compare(v, accumulators[size_t(e.aggregate)].best);  // throws when incomparable
      out.emplace_back(size_t(e.aggregate), std::move(v));
      return;
    }
    for (const auto& arg : e.args) collect(*arg, r, out);
  }

  void add(Accumulator& a, const Value& v) {
    if (v.is_null()) return;
    if (a.function == "SUM" || a.function == "AVG") {
      int64_t sum = 0;
      if (v.kind == Value::Kind::kInt && !__builtin_add_overflow(a.int_sum, v.i, &sum)) {
        a.int_sum = sum;
      } else {
        a.float_sum += v.kind == Value::Kind::kInt ? double(v.i) : v.f;
        a.any_float = true;
      }
    } else if (a.function == "MIN" || a.function == "MAX") {
      if (a.best.is_null()) a.best = v;
      else if (auto c = compare(v, a.best); c && (a.function == "MIN" ? *c < 0 : *c > 0)) a.best = v;
    }
    ++a.count;
  }
};

Query::Query(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Query::Query(Query&&) noexcept = default;
Query& Query::operator=(Query&&) noexcept = default;
Query::~Query() = default;

Query Query::parse(std::string_view sql) {
  if (sql.size() > kMaxQueryBytes) throw QueryError("The query expression is too long.");
  auto impl = std::make_unique<Impl>();
  impl->tokens = tokenize(sql);
  impl->parse_query();
  return Query(std::move(impl));
}

bool Query::select_all() const { return impl_->star; }
bool Query::aggregates() const { return !impl_->accumulators.empty(); }
bool Query::done() const { return impl_->limit && impl_->matched >= *impl_->limit; }

std::optional<std::vector<Column>> Query::apply(const Record& r) {
  Impl& q = *impl_;
  if (done()) return std::nullopt;
  if (q.where && !truth(q.eval(*q.where, r)).value_or(false)) return std::nullopt;
  if (aggregates()) {
    std::vector<std::pair<size_t, Value>> values;
    for (const auto& item : q.items) q.collect(*item.expr, r, values);
    for (const auto& [index, value] : values) q.add(q.accumulators[index], value);
    return std::nullopt;
  }
  std::vector<Column> out;
  for (const auto& item : q.items) out.push_back({item.name, q.eval(*item.expr, r)});
  ++q.matched;
  return out;
}

std::vector<Column> Query::result() const {
  struct NoRecord : Record {
    Value field(const std::vector<std::string>&, bool) const override { return Value::null(); }
    Value position(size_t) const override { return Value::null(); }
  } none;
  std::vector<Column> out;
  for (const auto& item : impl_->items) out.push_back({item.name, impl_->eval(*item.expr, none)});
  return out;
}

}  // namespace kiln::blob::query
