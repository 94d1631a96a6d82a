// Blob index tags: their rules (at most 10 per blob; keys of 1-128 and values
// of 0-256 letters, digits, spaces and + - . / : = _), the x-ms-tags header and
// <Tags> documents that carry them, and the tag expressions of Find Blobs by
// Tags (`where`) and of the x-ms-if-tags condition.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "blob/records.h"
#include "blob/xml_util.h"
#include "core/http_types.h"

namespace kiln::blob {

// Throws Azure's 400 (TagsTooLarge, EmptyTagName, InvalidTag) for a tag set
// breaking the rules.
void check_tags(const BlobTags& tags);

// The tags a request sets with x-ms-tags ("k1=v1&k2=v2", query-string
// encoded), checked; none when the header is absent or empty.
BlobTags request_tags(const http::Headers& headers);

// <Tags><TagSet><Tag><Key/><Value/></Tag>...</TagSet></Tags>, checked
// (InvalidXmlDocument, DuplicateTagNames, or check_tags' errors).
BlobTags parse_tags_xml(std::string_view xml);
// The same document, for Get Blob Tags.
std::string tags_xml(const BlobTags& tags);
// The <Tags> element alone, for listings.
void write_tags(XmlWriter& w, const BlobTags& tags);

// A tag expression: comparisons of a tag with a string ('=', '>', '>=', '<',
// '<='; lexicographic), joined by AND. The x-ms-if-tags dialect also has OR,
// '<>' and parentheses; the Find Blobs by Tags dialect has `@container = 'c'`.
// Keys are "double-quoted" or bare words, values 'single-quoted'.
class TagExpression {
 public:
  enum class Dialect { kFind, kCondition };
  // Throws InvalidQueryParameterValue (where) or InvalidHeaderValue (x-ms-if-tags).
  static TagExpression parse(std::string_view text, Dialect dialect);

  bool matches(const std::string& container, const BlobTags& tags) const;
  const std::set<std::string>& keys() const { return keys_; }  // the tags it names
  bool names_container() const { return names_container_; }
  const std::string& text() const { return text_; }

  struct Node;

 private:
  std::shared_ptr<const Node> root_;
  std::set<std::string> keys_;
  bool names_container_ = false;
  std::string text_;
};

// x-ms-if-tags: 412 ConditionNotMet unless the blob exists and its `tags`
// satisfy it (no-op when the header is absent).
void check_if_tags(const http::Headers& headers, const BlobTags& tags, bool exists = true);
// x-ms-source-if-tags of a copy: 412 SourceConditionNotMet unless the source's tags satisfy it.
void check_source_if_tags(const http::Headers& headers, const BlobTags& source_tags);

}  // namespace kiln::blob
