#include "blob/query_avro.h"

namespace kiln::blob::query {
namespace {

// The sync marker ends every block; any 16 bytes do, the same for the whole file.
constexpr std::string_view kSync = "KilnQueryBlob\x01\x02\x03";

// The union of Azure's query message records, in the order of their union indexes.
constexpr std::string_view kSchema =
    R"([{"type":"record","name":"com.microsoft.azure.storage.queryBlobContents.resultData",)"
    R"("fields":[{"name":"data","type":"bytes"}]},)"
    R"({"type":"record","name":"com.microsoft.azure.storage.queryBlobContents.error",)"
    R"("fields":[{"name":"fatal","type":"boolean"},{"name":"name","type":"string"},)"
    R"({"name":"description","type":"string"},{"name":"position","type":"long"}]},)"
    R"({"type":"record","name":"com.microsoft.azure.storage.queryBlobContents.progress",)"
    R"("fields":[{"name":"bytesScanned","type":"long"},{"name":"totalBytes","type":"long"}]},)"
    R"({"type":"record","name":"com.microsoft.azure.storage.queryBlobContents.end",)"
    R"("fields":[{"name":"totalBytes","type":"long"}]}])";

enum Message : int64_t { kResultData = 0, kError = 1, kProgress = 2, kEnd = 3 };

// Avro's long: zig-zag, then 7 bits a byte, low bits first.
void put_long(std::string& out, int64_t v) {
  uint64_t z = (uint64_t(v) << 1) ^ uint64_t(v >> 63);
  while (z >= 0x80) {
    out += char((z & 0x7f) | 0x80);
    z >>= 7;
  }
  out += char(z);
}

void put_bytes(std::string& out, std::string_view b) {
  put_long(out, int64_t(b.size()));
  out.append(b);
}

// The length of the valid UTF-8 sequence at the start of `s`, or 0.
size_t utf8_sequence(std::string_view s) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  auto continuation = [&](size_t i) { return i < s.size() && (byte(i) & 0xC0) == 0x80; };
  unsigned char c = byte(0);
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return continuation(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!continuation(1) || !continuation(2)) return 0;
    if ((c == 0xE0 && byte(1) < 0xA0) || (c == 0xED && byte(1) > 0x9F)) return 0;  // overlong, surrogates
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!continuation(1) || !continuation(2) || !continuation(3)) return 0;
    if ((c == 0xF0 && byte(1) < 0x90) || (c == 0xF4 && byte(1) > 0x8F)) return 0;
    return 4;
  }
  return 0;
}

// An Avro string must be UTF-8; an error's text may quote a blob's raw bytes,
// which are replaced by U+FFFD where they are not.
void put_string(std::string& out, std::string_view s) {
  std::string text;
  text.reserve(s.size());
  while (!s.empty()) {
    size_t n = utf8_sequence(s);
    if (n) text.append(s.substr(0, n));
    else text.append("\xEF\xBF\xBD");
    s.remove_prefix(n ? n : 1);
  }
  put_bytes(out, text);
}

}  // namespace

std::string AvroMessages::header() {
  std::string out("Obj\x01", 4);
  put_long(out, 2);  // one map block of two entries
  put_bytes(out, "avro.schema");
  put_bytes(out, kSchema);
  put_bytes(out, "avro.codec");
  put_bytes(out, "null");
  put_long(out, 0);  // end of the map
  out.append(kSync);
  return out;
}

void AvroMessages::result_data(std::string_view data) {
  put_long(records_, kResultData);
  put_bytes(records_, data);
  ++count_;
}

void AvroMessages::progress(int64_t bytes_scanned, int64_t total_bytes) {
  put_long(records_, kProgress);
  put_long(records_, bytes_scanned);
  put_long(records_, total_bytes);
  ++count_;
}

void AvroMessages::error(bool fatal, std::string_view name, std::string_view description, int64_t position) {
  put_long(records_, kError);
  records_ += char(fatal ? 1 : 0);
  put_string(records_, name);
  put_string(records_, description);
  put_long(records_, position);
  ++count_;
}

void AvroMessages::end(int64_t total_bytes) {
  put_long(records_, kEnd);
  put_long(records_, total_bytes);
  ++count_;
}

std::string AvroMessages::take_block() {
  if (!count_) return "";
  std::string out;
  put_long(out, count_);
  put_long(out, int64_t(records_.size()));
  out += records_;
  out.append(kSync);
  records_.clear();
  count_ = 0;
  return out;
}

}  // namespace kiln::blob::query
