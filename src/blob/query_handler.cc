// Query Blob (POST ?comp=query): runs one SQL SELECT over a block or append
// blob's CSV or JSON-lines records (query_sql.h, query_text.h) and answers
// with Azure's Avro message stream (query_avro.h). The blob is read a chunk at
// a time and the answer is built in a nameless scratch file, so memory stays
// flat whatever the blob's size.
#include "blob/access_tier.h"
#include "blob/customer_key.h"
#include "blob/handlers.h"
#include "blob/query_avro.h"
#include "blob/query_sql.h"
#include "blob/query_text.h"
#include "blob/response_util.h"
#include "blob/xml_parse.h"
#include "core/file_util.h"

namespace kiln::blob {
namespace {

constexpr size_t kReadChunk = 1 << 20;
constexpr size_t kResultChunk = 1 << 20;  // result text per resultData message

AzureError query_expression_error(const std::string& why) {
  return AzureError(400, "ErrorProcessingQueryExpression", "Error parsing query expression: " + why);
}

// Calls `feed` with the blob's bytes in order, a bounded chunk at a time;
// stops early when `stop` says so.
void read_blob_bytes(const OpenBlob& b, const std::function<void(std::string_view)>& feed,
                     const std::function<bool()>& stop) {
  if (b.record.file.empty()) {
    feed(b.record.inline_data);
    return;
  }
  std::string buf;
  for (const auto& p : BlobFiles::locate(b.record.file, 0, uint64_t(b.record.size))) {
    for (uint64_t done = 0; done < p.length && !stop();) {
      size_t n = size_t(std::min<uint64_t>(kReadChunk, p.length - done));
      buf.resize(n);
      fs::pread_all(*b.fds.at(p.name), buf.data(), n, p.offset + done);
      feed(buf);
      done += n;
    }
  }
}

}  // namespace

void query_blob(Call& c) {
  QueryRequest request = parse_query_request(c.req.body);
  std::optional<query::Query> sql;
  try {
    sql = query::Query::parse(request.expression);
  } catch (const query::QueryError& e) {
    throw query_expression_error(e.what());
  }
  OpenBlob blob = read_and_open_blob(
      c, [&] { return read_blob_checked(c, false); },
      [](const BlobRecord& b) { return std::pair<uint64_t, uint64_t>{0, uint64_t(b.size)}; });
  const BlobRecord& b = blob.record;
  require_customer_key(b.customer_key_sha256, c.req.headers);
  if (b.blob_type == "PageBlob") throw err::invalid_blob_type();
  require_online(b, c.ctx.now_us);

  int out_fd = fs::open_anonymous_file(c.be.files.dir());
  auto out_owner = http::FileBody::adopt(out_fd);
  uint64_t out_size = 0;
  auto emit = [&](const std::string& bytes) {
    fs::write_all(out_fd, bytes);
    out_size += bytes.size();
  };
  emit(query::AvroMessages::header());

  const int64_t total = b.size;
  int64_t scanned = 0;
  query::AvroMessages messages;
  // Progress first: the Python SDK (12.15) fails on an error record that comes first.
  messages.progress(0, total);
  emit(messages.take_block());
  query::RecordWriter writer(request.output);
  std::string results;
  auto flush = [&](bool force) {
    if (results.size() < kResultChunk && !force) return;
    if (!results.empty()) messages.result_data(results);
    results.clear();
    messages.progress(scanned, total);
    emit(messages.take_block());
  };
  std::unique_ptr<query::RecordReader> reader;
  reader = std::make_unique<query::RecordReader>(request.input, [&](const query::InputRecord& in) {
    if (!in.error.empty()) {
      messages.error(false, "InvalidRecord", in.error, scanned);
      return;
    }
    try {
      auto columns = sql->apply(*in.record);
      if (!columns) return;
      if (sql->select_all()) writer.write_input(in, reader->header(), results);
      else writer.write(*columns, results);
    } catch (const query::QueryError& e) {  // this record is skipped, the query goes on
      messages.error(false, "InvalidValue", e.what(), scanned);
    }
    flush(false);
  });
  read_blob_bytes(
      blob,
      [&](std::string_view bytes) {
        reader->feed(bytes);
        scanned += int64_t(bytes.size());
      },
      [&] { return sql->done(); });
  if (!sql->done()) reader->finish();
  if (sql->aggregates()) {
    try {
      writer.write(sql->result(), results);
    } catch (const query::QueryError& e) {
      messages.error(true, "InvalidValue", e.what(), scanned);
    }
  }
  scanned = total;
  flush(true);
  messages.end(total);
  emit(messages.take_block());

  add_blob_headers(b, c.ctx.now_us, c.res);
  // The body is the answer, not the blob: its MD5 is the blob's property.
  c.res.headers.erase("Content-MD5");
  if (!b.props.content_md5.empty()) c.res.headers.set("x-ms-blob-content-md5", b.props.content_md5);
  c.res.headers.set("Content-Type", "avro/binary");
  c.res.file = http::FileBody{out_owner, 0, out_size};
}

}  // namespace kiln::blob
