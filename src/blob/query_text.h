// The text formats of Query Blob: reading a blob's bytes as CSV or JSON-lines
// records, fed a chunk at a time (so memory stays flat whatever the blob's
// size), and writing result records as CSV or JSON lines. Pure: no I/O.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "blob/query_sql.h"

namespace kiln::blob::query {

// <InputSerialization> / <OutputSerialization> of the QueryRequest.
struct TextFormat {
  enum class Type { kDelimited, kJson };
  Type type = Type::kDelimited;
  char column_separator = ',';
  char field_quote = '"';
  char escape = 0;  // none
  std::string record_separator = "\n";
  bool has_headers = false;
};

// One parsed input record, handed to a RecordSink. `record` is valid only
// during the call; `error` is set instead when the record could not be read.
struct InputRecord {
  const Record* record = nullptr;
  std::string error;
  // SELECT * writes the input record as it came: its fields (CSV) or its text (JSON).
  const std::vector<std::string>* fields = nullptr;
  std::string_view json_text;
};
using RecordSink = std::function<void(const InputRecord&)>;

// Splits bytes into records of `format` and calls `sink` for each; a CSV
// header line (has_headers) names the fields and is not a record.
class RecordReader {
 public:
  RecordReader(const TextFormat& format, RecordSink sink);
  ~RecordReader();
  void feed(std::string_view bytes);
  void finish();  // the last record may lack its separator
  // The header's field names (CSV with has_headers), once read.
  const std::vector<std::string>& header() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Formats result records of `format` into text.
class RecordWriter {
 public:
  explicit RecordWriter(const TextFormat& format) : format_(format) {}
  // A record of named values (the query's result columns).
  void write(const std::vector<Column>& columns, std::string& out);
  // An input record written as it came (SELECT *): `fields` named by `names`
  // (or `_1`, `_2`, … past them) or `json_text`, converted when the formats differ.
  void write_input(const InputRecord& in, const std::vector<std::string>& names, std::string& out);

 private:
  void header_once(const std::vector<std::string>& names, std::string& out);
  void csv_field(std::string_view field, std::string& out) const;
  TextFormat format_;
  bool header_written_ = false;
};

}  // namespace kiln::blob::query
