#include "blob/blob_doc.h"

#include <gtest/gtest.h>

#include "blob/record_docs.h"

namespace kiln::blob {
namespace {

TEST(BlobDocReader, ReadsEveryStoredField) {
  BlobRecord b;
  ASSERT_TRUE(read_blob_doc(
      R"({"appends":2,"cc":"no-cache","cd":"","ce":"gzip","cl":"en","copy":{"done":5,"id":"cid",)"
      R"("progress":"3/3","source":"http://x/a?b=\"c\"","status":"success"},"ct":"text/plain",)"
      R"("ctime":-7,"etag":"\"0x8D1\"","lease":{"duration":-1,"expires":0,"id":"lid","state":"leased"},)"
      R"("md5":"abc==","meta":{"Key":"v\\al\nue\u00e9\ud83d\ude00","other":""},"mtime":123456789012345,)"
      R"("size":4096,"tags":{"a":"1","A":""},"tier":"Cool","type":"AppendBlob"})",
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
  EXPECT_EQ(b.tags, (BlobTags{{"A", ""}, {"a", "1"}}));
  EXPECT_EQ(b.blob_type, "AppendBlob");
}

TEST(BlobDocReader, MissingMembersTakeDefaultsAndOldValuesAreCleared) {
  BlobRecord b;
  b.copy_id = "stale";
  b.metadata["stale"] = "x";
  b.tags["stale"] = "x";
  b.size = 9;
  ASSERT_TRUE(read_blob_doc(R"({"etag":"e"})", b));
  EXPECT_EQ(b.blob_type, "BlockBlob");
  EXPECT_EQ(b.size, 0);
  EXPECT_EQ(b.etag, "e");
  EXPECT_TRUE(b.copy_id.empty());
  EXPECT_TRUE(b.metadata.empty());
  EXPECT_TRUE(b.tags.empty());
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

TEST(BlobDoc, WritesEveryFieldSoTheReaderGetsItBack) {
  BlobRecord in;
  in.blob_type = "AppendBlob";
  in.size = 1ll << 40;
  in.etag = "\"0x8D1\"";
  in.last_modified_us = 123456789012345;
  in.created_us = -7;
  in.props.content_type = "text/plain; charset=\"utf-8\"";
  in.props.content_encoding = "gzip";
  in.props.content_language = "en";
  in.props.content_md5 = "abc==";
  in.props.cache_control = "a\\b";
  in.props.content_disposition = std::string("ctl\x01\x1f\t\r\n", 8);
  in.metadata["Key"] = "v\xc3\xa9\xf0\x9f\x98\x80\"q\"";
  in.metadata["other"] = "";
  in.lease.state = "leased";
  in.lease.id = "lid";
  in.lease.duration = -1;
  in.lease.expires_us = 99;
  in.append_count = 3;
  in.sealed = true;
  in.access_tier = "Archive";
  in.tier_changed_us = 7;
  in.rehydrate_tier = "Cool";
  in.rehydrate_priority = "High";
  in.rehydrate_done_us = 8;
  in.version_id = "2026-11-22T07:38:14.1234567Z";
  in.immutable_until_us = 1'800'000'000'000'000;
  in.immutability_mode = "locked";
  in.legal_hold = true;
  in.customer_key_sha256 = "3n+Y6GZgDpsubrUUcfVrC0p29qgs4H1xo2Jp+ncFi1A=";
  in.tags["Project"] = "kiln";
  in.tags["project"] = "";  // tag keys are case-sensitive
  in.copy_id = "cid";
  in.copy_source = "http://x/a?b=\"c\"";
  in.copy_status = "success";
  in.copy_progress = "3/3";
  in.copy_completion_us = 5;
  BlobRecord out;
  ASSERT_TRUE(read_blob_doc(write_blob_doc(in), out)) << write_blob_doc(in);
  EXPECT_EQ(out.blob_type, in.blob_type);
  EXPECT_EQ(out.size, in.size);
  EXPECT_EQ(out.etag, in.etag);
  EXPECT_EQ(out.last_modified_us, in.last_modified_us);
  EXPECT_EQ(out.created_us, in.created_us);
  EXPECT_EQ(out.props.content_type, in.props.content_type);
  EXPECT_EQ(out.props.content_encoding, in.props.content_encoding);
  EXPECT_EQ(out.props.content_language, in.props.content_language);
  EXPECT_EQ(out.props.content_md5, in.props.content_md5);
  EXPECT_EQ(out.props.cache_control, in.props.cache_control);
  EXPECT_EQ(out.props.content_disposition, in.props.content_disposition);
  EXPECT_EQ(out.metadata, in.metadata);
  EXPECT_EQ(out.lease.state, in.lease.state);
  EXPECT_EQ(out.lease.id, in.lease.id);
  EXPECT_EQ(out.lease.duration, in.lease.duration);
  EXPECT_EQ(out.lease.expires_us, in.lease.expires_us);
  EXPECT_EQ(out.append_count, in.append_count);
  EXPECT_TRUE(out.sealed);
  EXPECT_EQ(out.access_tier, in.access_tier);
  EXPECT_EQ(out.tier_changed_us, in.tier_changed_us);
  EXPECT_EQ(out.rehydrate_tier, in.rehydrate_tier);
  EXPECT_EQ(out.rehydrate_priority, in.rehydrate_priority);
  EXPECT_EQ(out.rehydrate_done_us, in.rehydrate_done_us);
  EXPECT_EQ(out.version_id, in.version_id);
  EXPECT_EQ(out.immutable_until_us, in.immutable_until_us);
  EXPECT_EQ(out.immutability_mode, in.immutability_mode);
  EXPECT_TRUE(out.legal_hold);
  EXPECT_EQ(out.customer_key_sha256, in.customer_key_sha256);
  EXPECT_EQ(out.tags, in.tags);
  EXPECT_EQ(out.copy_id, in.copy_id);
  EXPECT_EQ(out.copy_source, in.copy_source);
  EXPECT_EQ(out.copy_status, in.copy_status);
  EXPECT_EQ(out.copy_progress, in.copy_progress);
  EXPECT_EQ(out.copy_completion_us, in.copy_completion_us);
}

TEST(BlobDoc, WritesPlainJsonWithoutACopyMemberWhenThereWasNoCopy) {
  BlobRecord b;
  b.etag = "e";
  b.size = 3;
  EXPECT_EQ(write_blob_doc(b),
            R"({"appends":0,"cc":"","cd":"","ce":"","cl":"","ct":"","ctime":0,"etag":"e",)"
            R"("lease":{"duration":0,"expires":0,"id":"","state":"available"},"md5":"","meta":{},)"
            R"("mtime":0,"size":3,"tier":"","type":"BlockBlob"})");
}

TEST(BlobDoc, PageBlobAndIncrementalCopyFieldsRoundTripThroughBothReaders) {
  BlobRecord in;
  in.blob_type = "PageBlob";
  in.size = 4096;
  in.page_ranges = "0-512,1024-2048";
  in.sequence_number = 7;
  in.incremental_copy = true;
  in.incremental_source_snapshot = "2026-01-01T00:00:00.0000000Z";
  in.copy_destination_snapshot = "2026-01-02T00:00:00.0000000Z";
  std::string doc = write_blob_doc(in);
  BlobRecord fast;
  ASSERT_TRUE(read_blob_doc(doc, fast)) << doc;
  EXPECT_EQ(fast.page_ranges, in.page_ranges);
  EXPECT_EQ(fast.sequence_number, 7);
  EXPECT_TRUE(fast.incremental_copy);
  EXPECT_EQ(fast.incremental_source_snapshot, in.incremental_source_snapshot);
  EXPECT_EQ(fast.copy_destination_snapshot, in.copy_destination_snapshot);
  // A member the fast reader does not know sends the document to the general parser.
  std::string odd = doc.substr(0, doc.size() - 1) + R"(,"zz":[1]})";
  BlobRecord general;
  general.sequence_number = 99;
  blob_fill(general, odd);
  EXPECT_EQ(general.page_ranges, in.page_ranges);
  EXPECT_EQ(general.sequence_number, 7);
  EXPECT_EQ(general.blob_type, "PageBlob");
  EXPECT_TRUE(general.incremental_copy);
  EXPECT_EQ(general.incremental_source_snapshot, in.incremental_source_snapshot);
  EXPECT_EQ(general.copy_destination_snapshot, in.copy_destination_snapshot);
  // A block blob's document carries neither.
  EXPECT_EQ(write_blob_doc(BlobRecord{}).find("seq"), std::string::npos);
}

}  // namespace
}  // namespace kiln::blob
