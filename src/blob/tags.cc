#include "blob/tags.h"

#include <cctype>

#include <pugixml.hpp>

#include "blob/errors.h"
#include "core/url.h"

namespace kiln::blob {
namespace {

constexpr size_t kMaxTags = 10;
constexpr size_t kMaxKey = 128;
constexpr size_t kMaxValue = 256;

bool tag_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ' || c == '+' ||
         c == '-' || c == '.' || c == '/' || c == ':' || c == '=' || c == '_';
}

bool all_tag_chars(const std::string& s) {
  for (char c : s)
    if (!tag_char(c)) return false;
  return true;
}

AzureError tags_too_large() {
  return AzureError(400, "TagsTooLarge", "The tags specified exceed the maximum permissible limit.");
}
AzureError invalid_tag() {
  return AzureError(400, "InvalidTag", "The tags specified are invalid. It contains characters that are not permitted.");
}

void add_tag(BlobTags& tags, std::string key, std::string value) {
  if (tags.count(key)) throw AzureError(400, "DuplicateTagNames", "The tags specified contain duplicate names.");
  tags.emplace(std::move(key), std::move(value));
}

}  // namespace

void check_tags(const BlobTags& tags) {
  if (tags.size() > kMaxTags) throw tags_too_large();
  for (const auto& [key, value] : tags) {
    if (key.empty()) throw AzureError(400, "EmptyTagName", "The name of one of the tag key-value pairs is empty.");
    if (key.size() > kMaxKey || value.size() > kMaxValue) throw tags_too_large();
    if (!all_tag_chars(key) || !all_tag_chars(value)) throw invalid_tag();
  }
}

BlobTags request_tags(const http::Headers& headers) {
  const std::string* header = headers.find("x-ms-tags");
  BlobTags tags;
  if (!header || header->empty()) return tags;
  if (header->size() > 2048) throw tags_too_large();
  size_t pos = 0;
  while (pos <= header->size()) {
    size_t amp = header->find('&', pos);
    std::string_view pair = std::string_view(*header).substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
    size_t eq = pair.find('=');
    auto key = url::decode(pair.substr(0, eq), true);
    auto value = url::decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
    if (!key || !value) throw err::invalid_header_value("x-ms-tags", *header);
    add_tag(tags, std::move(*key), std::move(*value));
    if (amp == std::string::npos) break;
    pos = amp + 1;
  }
  check_tags(tags);
  return tags;
}

BlobTags parse_tags_xml(std::string_view xml) {
  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_utf8)) throw err::invalid_xml_document();
  pugi::xml_node root = doc.document_element();
  if (!root || std::string_view(root.name()) != "Tags") throw err::invalid_xml_document();
  BlobTags tags;
  pugi::xml_node set = root.child("TagSet");
  for (pugi::xml_node tag : set.children()) {
    if (tag.type() != pugi::node_element) continue;
    if (std::string_view(tag.name()) != "Tag" || !tag.child("Key")) throw err::invalid_xml_document();
    add_tag(tags, tag.child_value("Key"), tag.child_value("Value"));
  }
  check_tags(tags);
  return tags;
}

void write_tags(XmlWriter& w, const BlobTags& tags) {
  w.open("Tags").open("TagSet");
  for (const auto& [key, value] : tags) w.open("Tag").elem("Key", key).elem("Value", value).close("Tag");
  w.close("TagSet").close("Tags");
}

std::string tags_xml(const BlobTags& tags) {
  XmlWriter w;
  write_tags(w, tags);
  return w.take();
}

// --- expressions ---------------------------------------------------------------

struct TagExpression::Node {
  enum class Kind { kAnd, kOr, kCompare, kContainer };
  enum class Op { kEq, kNe, kGt, kGe, kLt, kLe };
  Kind kind = Kind::kCompare;
  Op op = Op::kEq;
  std::string key, value;
  std::shared_ptr<const Node> left, right;

  bool eval(const std::string& container, const BlobTags& tags) const {
    switch (kind) {
      case Kind::kAnd: return left->eval(container, tags) && right->eval(container, tags);
      case Kind::kOr: return left->eval(container, tags) || right->eval(container, tags);
      case Kind::kContainer: return container == value;
      case Kind::kCompare: break;
    }
    auto it = tags.find(key);
    if (it == tags.end()) return false;
    int c = it->second.compare(value);
    switch (op) {
      case Op::kEq: return c == 0;
      case Op::kNe: return c != 0;
      case Op::kGt: return c > 0;
      case Op::kGe: return c >= 0;
      case Op::kLt: return c < 0;
      case Op::kLe: return c <= 0;
    }
    return false;
  }
};

namespace {

using Node = TagExpression::Node;

// Recursive descent over: expr = and (OR and)*; and = primary (AND primary)*;
// primary = '(' expr ')' | key op 'value' | @container = 'name'.
class Parser {
 public:
  Parser(std::string_view text, TagExpression::Dialect dialect) : s_(text), dialect_(dialect) {}

  std::shared_ptr<const Node> parse() {
    auto root = expr();
    skip_space();
    if (pos_ != s_.size()) fail("unexpected '" + std::string(s_.substr(pos_, 10)) + "'");
    return root;
  }
  std::set<std::string> keys;
  bool names_container = false;

 private:
  bool condition() const { return dialect_ == TagExpression::Dialect::kCondition; }

  [[noreturn]] void fail(const std::string& why) const {
    std::string message = "Error parsing query at or near character position " + std::to_string(pos_ + 1) + ": " + why;
    if (condition()) {
      AzureError e = err::invalid_header_value("x-ms-if-tags", std::string(s_));
      e.details.push_back({"Reason", message});
      throw e;
    }
    throw err::invalid_query_parameter_value("where", std::string(s_), message);
  }
  void skip_space() {
    while (pos_ < s_.size() && s_[pos_] == ' ') ++pos_;
  }
  // The keyword `word` (AND, OR) as a whole word, any case.
  bool keyword(const char* word) {
    skip_space();
    size_t n = std::char_traits<char>::length(word);
    if (s_.size() - pos_ < n) return false;
    for (size_t i = 0; i < n; ++i)
      if (std::toupper(static_cast<unsigned char>(s_[pos_ + i])) != word[i]) return false;
    if (pos_ + n < s_.size() && s_[pos_ + n] != ' ' && s_[pos_ + n] != '(' && s_[pos_ + n] != '"') return false;
    pos_ += n;
    return true;
  }
  std::shared_ptr<const Node> join(Node::Kind kind, std::shared_ptr<const Node> l, std::shared_ptr<const Node> r) {
    auto n = std::make_shared<Node>();
    n->kind = kind;
    n->left = std::move(l);
    n->right = std::move(r);
    return n;
  }
  std::shared_ptr<const Node> expr() {
    auto left = conjunction();
    while (true) {
      size_t at = pos_;
      if (!keyword("OR")) return left;
      if (!condition()) {
        pos_ = at;
        skip_space();
        fail("unexpected 'OR'");
      }
      left = join(Node::Kind::kOr, left, conjunction());
    }
  }
  std::shared_ptr<const Node> conjunction() {
    auto left = primary();
    while (keyword("AND")) left = join(Node::Kind::kAnd, left, primary());
    return left;
  }
  std::string quoted(char quote) {
    if (pos_ >= s_.size() || s_[pos_] != quote) fail(std::string("expected ") + quote);
    size_t end = s_.find(quote, pos_ + 1);
    if (end == std::string_view::npos) fail("unterminated string");
    std::string out(s_.substr(pos_ + 1, end - pos_ - 1));
    pos_ = end + 1;
    return out;
  }
  std::shared_ptr<const Node> primary() {
    skip_space();
    if (pos_ >= s_.size()) fail("unexpected end of query");
    if (s_[pos_] == '(' && condition()) {
      ++pos_;
      auto inner = expr();
      skip_space();
      if (pos_ >= s_.size() || s_[pos_] != ')') fail("expected ')'");
      ++pos_;
      return inner;
    }
    auto n = std::make_shared<Node>();
    if (s_[pos_] == '@') {
      size_t start = ++pos_;
      while (pos_ < s_.size() && std::isalpha(static_cast<unsigned char>(s_[pos_]))) ++pos_;
      if (condition() || s_.substr(start, pos_ - start) != "container") fail("unexpected '@'");
      n->kind = Node::Kind::kContainer;
      names_container = true;
    } else if (s_[pos_] == '"') {
      n->key = quoted('"');
    } else {
      size_t start = pos_;
      while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_')) ++pos_;
      if (pos_ == start) fail("unexpected '" + std::string(1, s_[pos_]) + "'");
      n->key = std::string(s_.substr(start, pos_ - start));
    }
    if (n->kind == Node::Kind::kCompare && (n->key.empty() || n->key.size() > kMaxKey)) fail("invalid tag name");
    skip_space();
    n->op = comparison();
    if (n->kind == Node::Kind::kContainer && n->op != Node::Op::kEq) fail("@container takes only '='");
    skip_space();
    n->value = quoted('\'');
    if (n->value.size() > kMaxValue) fail("tag value too long");
    if (n->kind == Node::Kind::kCompare) keys.insert(n->key);
    return n;
  }
  Node::Op comparison() {
    auto next = [&](size_t i) { return pos_ + i < s_.size() ? s_[pos_ + i] : '\0'; };
    char a = next(0), b = next(1);
    if (a == '=') return ++pos_, Node::Op::kEq;
    if (a == '<' && b == '>' && condition()) return pos_ += 2, Node::Op::kNe;
    if (a == '>' && b == '=') return pos_ += 2, Node::Op::kGe;
    if (a == '<' && b == '=') return pos_ += 2, Node::Op::kLe;
    if (a == '>') return ++pos_, Node::Op::kGt;
    if (a == '<' && b != '>') return ++pos_, Node::Op::kLt;
    fail("expected a comparison operator");
  }

  std::string_view s_;
  TagExpression::Dialect dialect_;
  size_t pos_ = 0;
};

}  // namespace

TagExpression TagExpression::parse(std::string_view text, Dialect dialect) {
  Parser p(text, dialect);
  TagExpression e;
  e.root_ = p.parse();
  e.keys_ = std::move(p.keys);
  e.names_container_ = p.names_container;
  e.text_ = std::string(text);
  return e;
}

bool TagExpression::matches(const std::string& container, const BlobTags& tags) const {
  return root_->eval(container, tags);
}

void check_if_tags(const http::Headers& headers, const BlobTags& tags, bool exists) {
  const std::string* header = headers.find("x-ms-if-tags");
  if (!header) return;
  auto condition = TagExpression::parse(*header, TagExpression::Dialect::kCondition);
  if (!exists || !condition.matches("", tags)) throw err::condition_not_met();
}

void check_source_if_tags(const http::Headers& headers, const BlobTags& source_tags) {
  const std::string* header = headers.find("x-ms-source-if-tags");
  if (!header) return;
  if (!TagExpression::parse(*header, TagExpression::Dialect::kCondition).matches("", source_tags))
    throw err::source_condition_not_met();
}

}  // namespace kiln::blob
