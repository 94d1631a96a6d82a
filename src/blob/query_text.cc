#include "blob/query_text.h"

#include <cctype>
#include <nlohmann/json.hpp>

namespace kiln::blob::query {
namespace {

using nlohmann::json;

bool same_name(std::string_view a, std::string_view b, bool exact) {
  if (exact) return a == b;
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

class CsvRecord : public Record {
 public:
  CsvRecord(const std::vector<std::string>& fields, const std::vector<std::string>& header)
      : fields_(fields), header_(header) {}
  Value field(const std::vector<std::string>& path, bool quoted) const override {
    if (path.size() != 1) return Value::null();
    for (size_t i = 0; i < header_.size() && i < fields_.size(); ++i)
      if (same_name(header_[i], path[0], quoted)) return Value::text(fields_[i]);
    return Value::null();
  }
  Value position(size_t n) const override { return n <= fields_.size() ? Value::text(fields_[n - 1]) : Value::null(); }

 private:
  const std::vector<std::string>& fields_;
  const std::vector<std::string>& header_;
};

Value value_of(const json& j) {
  switch (j.type()) {
    case json::value_t::boolean: return Value::boolean(j.get<bool>());
    case json::value_t::number_integer: return Value::integer(j.get<int64_t>());
    case json::value_t::number_unsigned: return Value::integer(int64_t(j.get<uint64_t>()));
    case json::value_t::number_float: return Value::real(j.get<double>());
    case json::value_t::string: return Value::text(j.get<std::string>());
    case json::value_t::null: return Value::null();
    default: return Value::text(j.dump());  // objects and arrays as their JSON text
  }
}

class JsonRecord : public Record {
 public:
  explicit JsonRecord(const json& j) : j_(j) {}
  Value field(const std::vector<std::string>& path, bool quoted) const override {
    const json* at = find(path, quoted);
    return at ? value_of(*at) : Value::null();
  }
  bool has(const std::vector<std::string>& path, bool quoted) const override { return find(path, quoted) != nullptr; }
  Value position(size_t n) const override {
    if (!j_.is_object() || n > j_.size()) return Value::null();
    auto it = j_.begin();
    std::advance(it, n - 1);
    return value_of(it.value());
  }

 private:
  // The member at `path`, JSON null included; nullptr when there is none.
  const json* find(const std::vector<std::string>& path, bool quoted) const {
    const json* at = &j_;
    for (const auto& name : path) {
      if (!at->is_object()) return nullptr;
      const json* next = nullptr;
      for (auto it = at->begin(); it != at->end() && !next; ++it)
        if (same_name(it.key(), name, quoted)) next = &it.value();
      if (!next) return nullptr;
      at = next;
    }
    return at;
  }
  const json& j_;
};

json json_of(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kNull: return nullptr;
    case Value::Kind::kBool: return v.b;
    case Value::Kind::kInt: return v.i;
    case Value::Kind::kFloat: return v.f;
    case Value::Kind::kString: return v.s;
    case Value::Kind::kTimestamp: return v.to_text();
  }
  return nullptr;
}

std::string position_name(size_t i) { return "_" + std::to_string(i + 1); }

// A record is held whole while it is read: past this size it is skipped (and
// reported), so one endless line cannot take the server's memory.
constexpr size_t kMaxRecordBytes = 4 << 20;
const char* const kOversized = "A record is larger than 4 MiB; it was skipped.";

}  // namespace

struct RecordReader::Impl {
  TextFormat format;
  bool crlf = false;  // records end with "\r\n" (read as '\n', the '\r' dropped)
  RecordSink sink;
  std::vector<std::string> header;
  bool header_pending = false;
  // CSV state
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false;       // inside a quoted field
  bool was_quoted = false;   // the current field was quoted (keep its spaces and \r)
  bool escaped = false;      // the previous byte was the escape character
  bool any = false;          // the current record has bytes
  size_t record_bytes = 0;
  bool oversized = false;    // skipping the rest of a record past kMaxRecordBytes
  // JSON state
  std::string line;

  char separator() const { return format.record_separator.empty() ? '\n' : format.record_separator.back(); }

  void end_field() {
    // A "\r\n" record separator read as '\n': drop the '\r' before it.
    if (!was_quoted && crlf && !field.empty() && field.back() == '\r') field.pop_back();
    fields.push_back(std::move(field));
    field.clear();
    was_quoted = false;
  }

  void skipped_record() {
    InputRecord in;
    in.error = kOversized;
    sink(in);
    fields.clear();
    field.clear();
    line.clear();
    quoted = was_quoted = escaped = any = oversized = false;
    record_bytes = 0;
  }

  void end_csv_record() {
    if (oversized) return skipped_record();
    end_field();
    if (header_pending) {
      header = fields;
      header_pending = false;
    } else if (!(fields.size() == 1 && fields[0].empty())) {  // blank lines are no records
      CsvRecord r(fields, header);
      InputRecord in;
      in.record = &r;
      in.fields = &fields;
      sink(in);
    }
    fields.clear();
    any = false;
    record_bytes = 0;
  }

  void feed_csv(std::string_view bytes) {
    const char sep = separator();
    for (char c : bytes) {
      any = true;
      if (oversized || ++record_bytes > kMaxRecordBytes) {  // drop bytes up to the next separator
        oversized = true;
        field.clear();
        fields.clear();
        if (c == sep) end_csv_record();
        continue;
      }
      if (escaped) {
        field += c;
        escaped = false;
      } else if (format.escape && c == format.escape) {
        escaped = true;
      } else if (quoted) {
        if (c == format.field_quote) quoted = false;  // a doubled quote reopens at once, adding one quote
        else field += c;
      } else if (c == format.field_quote && format.field_quote) {
        if (was_quoted) field += c;  // "a""b": the second quote of a pair
        quoted = true;
        was_quoted = true;
      } else if (c == format.column_separator) {
        end_field();
      } else if (c == sep) {
        end_csv_record();
      } else {
        field += c;
      }
    }
  }

  void end_json_line() {
    if (oversized) return skipped_record();
    std::string_view text = line;
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
    if (!text.empty()) {
      json j = json::parse(text, nullptr, false);
      InputRecord in;
      if (j.is_discarded() || !j.is_object()) {
        in.error = "A record is not a JSON object: " + std::string(text.substr(0, 64));
        sink(in);
      } else {
        JsonRecord r(j);
        in.record = &r;
        in.json_text = text;
        sink(in);
      }
    }
    line.clear();
  }
};

RecordReader::RecordReader(const TextFormat& format, RecordSink sink) : impl_(std::make_unique<Impl>()) {
  impl_->format = format;
  impl_->crlf = format.record_separator == "\r\n";
  impl_->sink = std::move(sink);
  impl_->header_pending = format.type == TextFormat::Type::kDelimited && format.has_headers;
}
RecordReader::~RecordReader() = default;

void RecordReader::feed(std::string_view bytes) {
  Impl& m = *impl_;
  if (m.format.type == TextFormat::Type::kDelimited) return m.feed_csv(bytes);
  const char sep = m.separator();
  for (size_t start = 0; start < bytes.size();) {
    size_t end = bytes.find(sep, start);
    size_t stop = end == std::string_view::npos ? bytes.size() : end;
    if (!m.oversized) m.line.append(bytes.substr(start, stop - start));
    if (m.line.size() > kMaxRecordBytes) {
      m.oversized = true;
      m.line.clear();
    }
    if (end == std::string_view::npos) return;
    m.end_json_line();
    start = end + 1;
  }
}

void RecordReader::finish() {
  Impl& m = *impl_;
  if (m.format.type == TextFormat::Type::kJson) return m.end_json_line();
  if (m.any || m.oversized) m.end_csv_record();
}

const std::vector<std::string>& RecordReader::header() const { return impl_->header; }

void RecordWriter::csv_field(std::string_view field, std::string& out) const {
  const char q = format_.field_quote;
  bool needs_quotes = q && field.find_first_of(std::string{format_.column_separator, q, '\n', '\r'} +
                                               format_.record_separator) != std::string_view::npos;
  if (!needs_quotes) {
    out.append(field);
    return;
  }
  out += q;
  for (char c : field) {
    if (c == q) out += format_.escape ? format_.escape : q;
    out += c;
  }
  out += q;
}

void RecordWriter::header_once(const std::vector<std::string>& names, std::string& out) {
  if (header_written_ || !format_.has_headers || format_.type != TextFormat::Type::kDelimited) return;
  header_written_ = true;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out += format_.column_separator;
    csv_field(names[i], out);
  }
  out += format_.record_separator;
}

void RecordWriter::write(const std::vector<Column>& columns, std::string& out) {
  if (format_.type == TextFormat::Type::kJson) {
    json j = json::object();
    for (const auto& c : columns) j[c.name] = json_of(c.value);
    out += j.dump(-1, ' ', false, json::error_handler_t::replace);
    out += format_.record_separator;
    return;
  }
  std::vector<std::string> names;
  for (const auto& c : columns) names.push_back(c.name);
  header_once(names, out);
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i) out += format_.column_separator;
    csv_field(columns[i].value.to_text(), out);
  }
  out += format_.record_separator;
}

void RecordWriter::write_input(const InputRecord& in, const std::vector<std::string>& names, std::string& out) {
  if (in.fields) {  // CSV in
    const auto& fields = *in.fields;
    if (format_.type == TextFormat::Type::kJson) {
      json j = json::object();
      for (size_t i = 0; i < fields.size(); ++i) j[i < names.size() ? names[i] : position_name(i)] = fields[i];
      out += j.dump(-1, ' ', false, json::error_handler_t::replace);
    } else {
      std::vector<std::string> header = names;
      for (size_t i = header.size(); i < fields.size(); ++i) header.push_back(position_name(i));
      header_once(header, out);
      for (size_t i = 0; i < fields.size(); ++i) {
        if (i) out += format_.column_separator;
        csv_field(fields[i], out);
      }
    }
    out += format_.record_separator;
    return;
  }
  // JSON in
  if (format_.type == TextFormat::Type::kJson) {
    out.append(in.json_text);
    out += format_.record_separator;
    return;
  }
  json j = json::parse(in.json_text, nullptr, false);
  std::vector<Column> columns;
  for (auto it = j.begin(); it != j.end(); ++it) columns.push_back({it.key(), value_of(it.value())});
  write(columns, out);
}

}  // namespace kiln::blob::query
