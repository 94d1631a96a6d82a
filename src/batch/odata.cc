#include "batch/odata.h"

#include <cctype>
#include <cstring>

#include "core/text.h"
#include "core/time_format.h"

namespace kiln::batch::odata {
namespace {

using Json = nlohmann::json;

struct Token {
  enum Kind { kIdent, kString, kNumber, kDateTime, kLParen, kRParen, kComma, kEnd } kind;
  std::string text;
};

bool tokenize(const std::string& s, std::vector<Token>& out, std::string& error) {
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) { ++i; continue; }
    if (c == '(') { out.push_back({Token::kLParen, "("}); ++i; continue; }
    if (c == ')') { out.push_back({Token::kRParen, ")"}); ++i; continue; }
    if (c == ',') { out.push_back({Token::kComma, ","}); ++i; continue; }
    if (c == '\'') {
      std::string v;
      ++i;
      while (true) {
        if (i >= s.size()) { error = "unterminated string literal"; return false; }
        if (s[i] == '\'') {
          if (i + 1 < s.size() && s[i + 1] == '\'') { v += '\''; i += 2; continue; }
          ++i;
          break;
        }
        v += s[i++];
      }
      out.push_back({Token::kString, v});
      continue;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || (c == '-' && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
      size_t j = i + 1;
      while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.')) ++j;
      out.push_back({Token::kNumber, s.substr(i, j - i)});
      i = j;
      continue;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '$') {
      size_t j = i;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_' || s[j] == '/' || s[j] == '.' || s[j] == '$')) ++j;
      std::string word = s.substr(i, j - i);
      if (word == "datetime" && j < s.size() && s[j] == '\'') {
        size_t k = s.find('\'', j + 1);
        if (k == std::string::npos) { error = "unterminated datetime literal"; return false; }
        out.push_back({Token::kDateTime, s.substr(j + 1, k - j - 1)});
        i = k + 1;
        continue;
      }
      out.push_back({Token::kIdent, word});
      i = j;
      continue;
    }
    error = std::string("unexpected character '") + c + "'";
    return false;
  }
  out.push_back({Token::kEnd, ""});
  return true;
}

// An operand: a property path or a literal.
struct Operand {
  bool is_path = false;
  std::vector<std::string> path;
  Json literal;
  bool is_datetime = false;

  const Json* resolve(const Json& e, Json& scratch) const {
    if (!is_path) return &literal;
    const Json* cur = &e;
    for (const auto& p : path) {
      if (!cur->is_object()) return nullptr;
      auto it = cur->find(p);
      if (it == cur->end()) return nullptr;
      cur = &*it;
    }
    (void)scratch;
    return cur;
  }
};

using text::lower;

// -1, 0, 1; nullopt when not comparable (missing value or mixed types).
std::optional<int> compare(const Json* a, const Json* b) {
  if (!a || !b || a->is_null() || b->is_null()) {
    bool an = !a || a->is_null(), bn = !b || b->is_null();
    if (an && bn) return 0;
    return std::nullopt;
  }
  if (a->is_number() && b->is_number()) {
    double x = a->get<double>(), y = b->get<double>();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (a->is_boolean() && b->is_boolean()) return int(a->get<bool>()) - int(b->get<bool>());
  if (a->is_string() && b->is_string()) {
    const std::string& x = a->get_ref<const std::string&>();
    const std::string& y = b->get_ref<const std::string&>();
    // Times compare as instants, whatever their fractional digits.
    if (x.size() >= 10 && y.size() >= 10 && x[4] == '-' && y[4] == '-') {
      auto tx = timefmt::parse_iso8601(x), ty = timefmt::parse_iso8601(y);
      if (tx && ty) return *tx < *ty ? -1 : (*tx > *ty ? 1 : 0);
    }
    // Ids and enum values are case-insensitive in Batch.
    int c = lower(x).compare(lower(y));
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  return std::nullopt;
}

struct Compare : Filter {
  std::string op;
  Operand l, r;
  bool matches(const Json& e) const override {
    Json s1, s2;
    auto c = compare(l.resolve(e, s1), r.resolve(e, s2));
    if (op == "ne") return !c || *c != 0;
    if (!c) return false;
    if (op == "eq") return *c == 0;
    if (op == "gt") return *c > 0;
    if (op == "ge") return *c >= 0;
    if (op == "lt") return *c < 0;
    return *c <= 0;  // le
  }
  std::optional<std::string> required_state() const override {
    if (op == "eq" && l.is_path && l.path.size() == 1 && l.path[0] == "state" && r.literal.is_string())
      return lower(r.literal.get<std::string>());
    return std::nullopt;
  }
};

struct StringFn : Filter {
  std::string fn;  // startswith, endswith, substringof
  Operand subject, arg;
  bool matches(const Json& e) const override {
    Json s1, s2;
    const Json* a = subject.resolve(e, s1);
    const Json* b = arg.resolve(e, s2);
    if (!a || !b || !a->is_string() || !b->is_string()) return false;
    std::string x = lower(a->get<std::string>()), y = lower(b->get<std::string>());
    if (fn == "startswith") return x.rfind(y, 0) == 0;
    if (fn == "endswith") return x.size() >= y.size() && x.compare(x.size() - y.size(), y.size(), y) == 0;
    return x.find(y) != std::string::npos;
  }
};

struct Logical : Filter {
  bool is_and;
  std::unique_ptr<Filter> a, b;
  bool matches(const Json& e) const override {
    return is_and ? (a->matches(e) && b->matches(e)) : (a->matches(e) || b->matches(e));
  }
  std::optional<std::string> required_state() const override {
    if (!is_and) return std::nullopt;
    auto s = a->required_state();
    return s ? s : b->required_state();
  }
};

struct Not : Filter {
  std::unique_ptr<Filter> a;
  bool matches(const Json& e) const override { return !a->matches(e); }
};

struct BoolPath : Filter {  // a bare boolean property, e.g. "isDedicated"
  Operand p;
  bool matches(const Json& e) const override {
    Json s;
    const Json* v = p.resolve(e, s);
    return v && v->is_boolean() && v->get<bool>();
  }
};

class Parser {
 public:
  Parser(std::vector<Token> t) : t_(std::move(t)) {}
  std::unique_ptr<Filter> parse(std::string& error) {
    auto f = parse_or();
    if (f && peek().kind != Token::kEnd) fail("unexpected '" + peek().text + "'");
    if (!error_.empty()) {
      error = error_;
      return nullptr;
    }
    return f;
  }

 private:
  const Token& peek() const { return t_[pos_]; }
  Token next() { return t_[pos_ < t_.size() - 1 ? pos_++ : pos_]; }
  bool is_word(const char* w) const { return peek().kind == Token::kIdent && peek().text == w; }
  std::unique_ptr<Filter> fail(std::string m) {
    if (error_.empty()) error_ = std::move(m);
    return nullptr;
  }

  std::unique_ptr<Filter> parse_or() {
    auto l = parse_and();
    while (l && is_word("or")) {
      next();
      auto r = parse_and();
      if (!r) return nullptr;
      auto n = std::make_unique<Logical>();
      n->is_and = false;
      n->a = std::move(l);
      n->b = std::move(r);
      l = std::move(n);
    }
    return l;
  }
  std::unique_ptr<Filter> parse_and() {
    auto l = parse_unary();
    while (l && is_word("and")) {
      next();
      auto r = parse_unary();
      if (!r) return nullptr;
      auto n = std::make_unique<Logical>();
      n->is_and = true;
      n->a = std::move(l);
      n->b = std::move(r);
      l = std::move(n);
    }
    return l;
  }
  std::unique_ptr<Filter> parse_unary() {
    if (is_word("not")) {
      next();
      auto a = parse_unary();
      if (!a) return nullptr;
      auto n = std::make_unique<Not>();
      n->a = std::move(a);
      return n;
    }
    if (peek().kind == Token::kLParen) {
      next();
      auto f = parse_or();
      if (!f) return nullptr;
      if (peek().kind != Token::kRParen) return fail("missing ')'");
      next();
      return f;
    }
    if (is_word("startswith") || is_word("endswith") || is_word("substringof")) {
      auto n = std::make_unique<StringFn>();
      n->fn = next().text;
      if (next().kind != Token::kLParen) return fail("expected '(' after " + n->fn);
      if (!operand(n->subject)) return nullptr;
      if (next().kind != Token::kComma) return fail("expected ','");
      if (!operand(n->arg)) return nullptr;
      if (next().kind != Token::kRParen) return fail("expected ')'");
      if (n->fn == "substringof") std::swap(n->subject, n->arg);
      return n;
    }
    Operand l;
    if (!operand(l)) return nullptr;
    static const char* ops[] = {"eq", "ne", "gt", "ge", "lt", "le"};
    for (const char* op : ops) {
      if (is_word(op)) {
        next();
        auto n = std::make_unique<Compare>();
        n->op = op;
        n->l = std::move(l);
        if (!operand(n->r)) return nullptr;
        return n;
      }
    }
    if (l.is_path) {
      auto n = std::make_unique<BoolPath>();
      n->p = std::move(l);
      return n;
    }
    return fail("expected a comparison operator");
  }
  bool operand(Operand& o) {
    Token t = next();
    switch (t.kind) {
      case Token::kString: o.literal = t.text; return true;
      case Token::kDateTime: o.literal = t.text; o.is_datetime = true; return true;
      case Token::kNumber:
        if (t.text.find('.') != std::string::npos) o.literal = std::stod(t.text);
        else o.literal = std::stoll(t.text);
        return true;
      case Token::kIdent:
        if (t.text == "true" || t.text == "false") { o.literal = t.text == "true"; return true; }
        if (t.text == "null") { o.literal = nullptr; return true; }
        if (t.text == "and" || t.text == "or" || t.text == "not") break;
        o.is_path = true;
        {
          size_t start = 0;
          while (true) {
            size_t slash = t.text.find('/', start);
            o.path.push_back(t.text.substr(start, slash - start));
            if (slash == std::string::npos) break;
            start = slash + 1;
          }
        }
        return true;
      default: break;
    }
    fail("unexpected '" + t.text + "'");
    return false;
  }

  std::vector<Token> t_;
  size_t pos_ = 0;
  std::string error_;
};

}  // namespace

std::unique_ptr<Filter> parse_filter(const std::string& text, std::string& error) {
  std::vector<Token> tokens;
  if (!tokenize(text, tokens, error)) return nullptr;
  try {
    return Parser(std::move(tokens)).parse(error);
  } catch (const std::exception& e) {  // number conversion overflow
    error = e.what();
    return nullptr;
  }
}

std::vector<std::string> parse_select(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    size_t b = item.find_first_not_of(' '), e = item.find_last_not_of(' ');
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

Json apply_select(const Json& entity, const std::vector<std::string>& select) {
  if (select.empty()) return entity;
  Json out = Json::object();
  for (const auto& name : select) {
    for (auto it = entity.begin(); it != entity.end(); ++it)
      if (strcasecmp(it.key().c_str(), name.c_str()) == 0) out[it.key()] = it.value();
  }
  return out;
}

}  // namespace kiln::batch::odata
