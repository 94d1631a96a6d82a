// Bulk workloads of the Blob benchmark over plain blocking connections: a staged
// upload (Put Block × N + Put Block List), a streamed download, and a paged
// List Blobs walk. URLs carry their SAS token; nothing is signed per request.
#pragma once

#include <cstdint>
#include <string>

namespace kiln::bench {

struct TransferResult {
  uint64_t bytes = 0;
  double seconds = 0;
  double mb_per_second = 0;  // 10^6 bytes per second
  uint64_t peak_rss_kib = 0; // of the watched server process, 0 when none
  double commit_seconds = 0; // staged upload: the Put Block List alone
  std::string error;         // empty on success
};

// `blob_url`: http://host:port/account/container/blob?<sas>.
TransferResult staged_upload(const std::string& blob_url, uint64_t size, uint64_t block_size, int connections,
                             int watch_pid);
// GETs `url` and discards the body; checks it is `expect_size` bytes when >= 0.
TransferResult download(const std::string& url, long long expect_size, int watch_pid);

struct ListResult {
  uint64_t blobs = 0;     // over all passes
  int passes = 0;
  int pages = 0;          // per pass
  double seconds = 0;
  double blobs_per_second = 0;
  std::string error;
};

// Walks `container_url` (…/account/container?<sas>) with List Blobs pages of
// `max_results`, following NextMarker; repeats whole passes until `min_seconds`
// have elapsed (at least one pass). Each pass must see `expect_blobs` blobs when >= 0.
ListResult list_all(const std::string& container_url, int max_results, long long expect_blobs, double min_seconds);

}  // namespace kiln::bench
