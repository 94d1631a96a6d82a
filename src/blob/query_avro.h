// The body of a Query Blob response: an Avro object container file whose
// records are Azure's four query message types — resultData (a chunk of the
// result text), progress, error and end — each block holding a few of them.
// The SDKs read it with their own Avro readers. Pure: appends bytes to a string.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kiln::blob::query {

class AvroMessages {
 public:
  // The container's header (magic, schema, codec, sync marker).
  static std::string header();

  // Records of the next block; take_block() ends it.
  void result_data(std::string_view data);
  void progress(int64_t bytes_scanned, int64_t total_bytes);
  void error(bool fatal, std::string_view name, std::string_view description, int64_t position);
  void end(int64_t total_bytes);
  // The block of the records added since the last call ("" when none).
  std::string take_block();

 private:
  std::string records_;
  int64_t count_ = 0;
};

}  // namespace kiln::blob::query
