#include "blob/blob_doc_reader.h"

#include <gtest/gtest.h>

namespace kiln::blob {
namespace {

TEST(BlobDocReader, ReadsEveryStoredField) {
  BlobRecord b;
  ASSERT_TRUE(read_blob_doc(
      R"({"appends":2,"cc":"no-cache","cd":"","ce":"gzip","cl":"en","copy":{"done":5,"id":"cid",)"
      R"("progress":"3/3","source":"http://x/a?b=\"c\"","status":"success"},"ct":"text/plain",)"
      R"("ctime":-7,"etag":"\"0x8D1\"","lease":{"duration":-1,"expires":0,"id":"lid","state":"leased"},)"
      R"("md5":"abc==","meta":{"Key":"v\\al\nue\u00e9\ud83d\ude00","other":""},"mtime":123456789012345,)"
      R"("size":4096,"tier":"Cool","type":"AppendBlob"})",
      b));
  EXPECT_EQ(b.append_count, 2);
  EXPECT_EQ(b.props.cache_control, "no-cache");
  EXPECT_EQ(b.props.content_encoding, "gzip");
  EXPECT_EQ(b.props.content_language, "en");
  EXPECT_EQ(b.props.content_type, "text/plain");
  EXPECT_EQ(b.props.content_md5, "abc==");
  EXPECT_EQ(b.copy_completion_us, 5);
  EXPECT_EQ(b.copy_id, "cid");
  EXPECT_EQ(b.copy_progress, "3/3");
  EXPECT_EQ(b.copy_source, "http://x/a?b=\"c\"");
  EXPECT_EQ(b.copy_status, "success");
  EXPECT_EQ(b.created_us, -7);
  EXPECT_EQ(b.etag, "\"0x8D1\"");
  EXPECT_EQ(b.lease.duration, -1);
  EXPECT_EQ(b.lease.id, "lid");
  EXPECT_EQ(b.lease.state, "leased");
  EXPECT_EQ(b.metadata.at("key"), "v\\al\nue\xc3\xa9\xf0\x9f\x98\x80");  // case-insensitive keys
  EXPECT_EQ(b.metadata.at("other"), "");
  EXPECT_EQ(b.last_modified_us, 123456789012345);
  EXPECT_EQ(b.size, 4096);
  EXPECT_EQ(b.access_tier, "Cool");
  EXPECT_EQ(b.blob_type, "AppendBlob");
}

TEST(BlobDocReader, MissingMembersTakeDefaultsAndOldValuesAreCleared) {
  BlobRecord b;
  b.copy_id = "stale";
  b.metadata["stale"] = "x";
  b.size = 9;
  ASSERT_TRUE(read_blob_doc(R"({"etag":"e"})", b));
  EXPECT_EQ(b.blob_type, "BlockBlob");
  EXPECT_EQ(b.size, 0);
  EXPECT_EQ(b.etag, "e");
  EXPECT_TRUE(b.copy_id.empty());
  EXPECT_TRUE(b.metadata.empty());
  EXPECT_EQ(b.lease.state, "available");
}

TEST(BlobDocReader, RejectsWhatItDoesNotKnowSoTheGeneralParserDecides) {
  BlobRecord b;
  EXPECT_FALSE(read_blob_doc(R"({"size":1.5})", b));
  EXPECT_FALSE(read_blob_doc(R"({"size":null})", b));
  EXPECT_FALSE(read_blob_doc(R"({"unknown":1})", b));
  EXPECT_FALSE(read_blob_doc(R"({"etag":"x"} )", b));
  EXPECT_FALSE(read_blob_doc(R"({"etag":"x")", b));
  EXPECT_FALSE(read_blob_doc(R"({"etag":"\x"})", b));
  EXPECT_FALSE(read_blob_doc(R"({"etag":"\ud800"})", b));
  EXPECT_FALSE(read_blob_doc(R"({"meta":{"k":1}})", b));
  EXPECT_FALSE(read_blob_doc(R"({"lease":"x"})", b));
  EXPECT_FALSE(read_blob_doc("", b));
}

}  // namespace
}  // namespace kiln::blob
