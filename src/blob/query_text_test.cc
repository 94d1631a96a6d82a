#include "blob/query_text.h"

#include <gtest/gtest.h>

#include "blob/query_avro.h"

namespace kiln::blob::query {
namespace {

// Every record of `text` fed in pieces of `piece` bytes: its fields, or "!error".
std::vector<std::vector<std::string>> read_all(const TextFormat& f, std::string_view text, size_t piece,
                                               std::vector<std::string>* header = nullptr) {
  std::vector<std::vector<std::string>> out;
  RecordReader reader(f, [&](const InputRecord& in) {
    if (!in.error.empty()) out.push_back({"!error"});
    else if (in.fields) out.push_back(*in.fields);
    else out.push_back({std::string(in.json_text)});
  });
  for (size_t i = 0; i < text.size(); i += piece) reader.feed(text.substr(i, piece));
  reader.finish();
  if (header) *header = reader.header();
  return out;
}

TEST(QueryText, CsvRecordsSurviveAnyChunking) {
  TextFormat f;
  f.has_headers = true;
  std::string text = "a,b\n1,\"x, \"\"y\"\"\nz\"\n\n2,plain";  // quoted separator, doubled quotes, blank line, no final \n
  for (size_t piece : {1u, 2u, 3u, 100u}) {
    std::vector<std::string> header;
    auto records = read_all(f, text, piece, &header);
    EXPECT_EQ(header, (std::vector<std::string>{"a", "b"}));
    ASSERT_EQ(records.size(), 2u) << piece;
    EXPECT_EQ(records[0], (std::vector<std::string>{"1", "x, \"y\"\nz"}));
    EXPECT_EQ(records[1], (std::vector<std::string>{"2", "plain"}));
  }
}

TEST(QueryText, CsvWithOtherSeparatorsAndAnEscape) {
  TextFormat f;
  f.column_separator = '|';
  f.record_separator = "\r\n";
  f.escape = '\\';
  auto records = read_all(f, "a|b\\|c\r\nd|e\r\n", 4);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0], (std::vector<std::string>{"a", "b|c"}));
  EXPECT_EQ(records[1], (std::vector<std::string>{"d", "e"}));
}

TEST(QueryText, JsonLinesAndBadRecords) {
  TextFormat f;
  f.type = TextFormat::Type::kJson;
  auto records = read_all(f, "{\"a\":1}\n[1]\n\n{\"b\":\"x\"}", 5);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0][0], "{\"a\":1}");
  EXPECT_EQ(records[1][0], "!error");  // not an object
  EXPECT_EQ(records[2][0], "{\"b\":\"x\"}");
}

TEST(QueryText, JsonRecordsTellAMissingMemberFromANullOne) {
  TextFormat f;
  f.type = TextFormat::Type::kJson;
  Query q = Query::parse("SELECT a FROM BlobStorage WHERE b IS MISSING OR c.d IS NOT MISSING");
  std::vector<std::string> got;
  RecordReader reader(f, [&](const InputRecord& in) {
    if (auto cols = q.apply(*in.record)) got.push_back((*cols)[0].value.to_text());
  });
  reader.feed("{\"a\":1,\"b\":null}\n{\"a\":2}\n{\"a\":3,\"b\":0,\"c\":{\"d\":null}}\n{\"a\":4,\"b\":0,\"c\":{}}\n");
  reader.finish();
  EXPECT_EQ(got, (std::vector<std::string>{"2", "3"}));
  EXPECT_THROW(Query::parse("SELECT a FROM BlobStorage WHERE 1 IS MISSING"), QueryError);
}

TEST(QueryText, ARecordPastFourMiBIsSkippedNotHeld) {
  for (auto type : {TextFormat::Type::kDelimited, TextFormat::Type::kJson}) {
    TextFormat f;
    f.type = type;
    std::string huge = type == TextFormat::Type::kJson ? "{\"a\":\"" + std::string(5 << 20, 'x') + "\"}"
                                                       : "\"" + std::string(5 << 20, 'x');  // an open quote, too
    std::string ok = type == TextFormat::Type::kJson ? "{\"a\":1}" : "ok";
    auto records = read_all(f, ok + "\n" + huge + "\n" + ok + "\n", 1 << 20);
    ASSERT_EQ(records.size(), 3u);
    EXPECT_EQ(records[1][0], "!error");
    EXPECT_EQ(records[2][0], ok);
  }
}

TEST(QueryText, WritesCsvWithQuotesWhereNeededAndJson) {
  TextFormat csv;
  csv.has_headers = true;
  RecordWriter w(csv);
  std::string out;
  w.write({{"n", Value::text("a,b")}, {"v", Value::integer(3)}}, out);
  w.write({{"n", Value::text("say \"hi\"")}, {"v", Value::null()}}, out);
  EXPECT_EQ(out, "n,v\n\"a,b\",3\n\"say \"\"hi\"\"\",\n");
  TextFormat json;
  json.type = TextFormat::Type::kJson;
  RecordWriter j(json);
  out.clear();
  j.write({{"n", Value::text("x")}, {"v", Value::real(0.5)}, {"b", Value::boolean(true)}, {"z", Value::null()}}, out);
  EXPECT_EQ(out, "{\"b\":true,\"n\":\"x\",\"v\":0.5,\"z\":null}\n");
}

TEST(QueryText, AvroBlocksCountTheirRecords) {
  std::string header = AvroMessages::header();
  EXPECT_EQ(header.substr(0, 4), std::string("Obj\x01", 4));
  EXPECT_NE(header.find("queryBlobContents.resultData"), std::string::npos);
  AvroMessages m;
  EXPECT_EQ(m.take_block(), "");
  m.result_data("ab");
  m.end(300);
  std::string block = m.take_block();
  // count 2 (zig-zag 4), byte size, then: union 0, bytes "ab"; union 3, long 300 (zig-zag 600 = 0xd8 0x04)
  std::string records = std::string("\x00\x04" "ab" "\x06\xd8\x04", 7);
  EXPECT_EQ(block.substr(0, 2), std::string("\x04") + char(records.size() * 2));
  EXPECT_EQ(block.substr(2, records.size()), records);
  EXPECT_EQ(block.substr(2 + records.size()), header.substr(header.size() - 16));  // the sync marker
}

TEST(QueryText, AvroErrorTextIsValidUtf8) {
  AvroMessages m;
  m.error(false, "InvalidRecord", std::string("bad \xff\xc3(\xe2\x82\xac ok", 13), 7);
  std::string block = m.take_block();
  EXPECT_NE(block.find("bad \xEF\xBF\xBD\xEF\xBF\xBD(\xe2\x82\xac ok"), std::string::npos);
}

}  // namespace
}  // namespace kiln::blob::query
