// MetadataStore on SQLite (WAL). One writer connection applies batches of
// write closures in one transaction each; the batch's commit is made durable
// by an fdatasync of the WAL that covers every batch committed before it
// began, while the next batch already runs (core/group_sync.h); readers use a pool of connections reading committed state
// concurrently with the writer, with hot records cached in memory. Prepared
// statements are cached per connection.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "blob/metadata_store.h"
#include "blob/read_cache.h"
#include "core/group_sync.h"

namespace kiln::blob {

class SqliteMetadataStore : public MetadataStore {
 public:
  // `durable` = false turns fsyncs off (the --in-memory mode, whose files vanish at exit).
  SqliteMetadataStore(const std::string& path, bool durable);
  ~SqliteMetadataStore() override;

  void read(const std::function<void(MetadataReader&)>& fn) override;
  void write(const std::function<void(MetadataWriter&)>& fn) override;
  std::vector<std::string> all_files() override;

  struct Connection;

  // Committed records for the read path: every request looks its container up,
  // and hot blobs are read again and again (see read_cache.h for the protocol).
  using ContainerCache = ReadCache<ContainerRecord>;
  using BlobCache = ReadCache<BlobRecord>;

 private:
  struct Pending;
  std::vector<std::function<void()>> run_batch(std::vector<Pending*>& batch);
  void lead_batch(std::unique_lock<std::mutex>& lk);
  std::unique_ptr<Connection> borrow_reader();
  void return_reader(std::unique_ptr<Connection> c);

  std::string path_;
  bool durable_;
  std::unique_ptr<Connection> writer_;
  std::mutex readers_mu_;
  std::vector<std::unique_ptr<Connection>> readers_;
  std::mutex queue_mu_;
  std::vector<Pending*> queue_;
  bool leader_active_ = false;
  void sync_wal(int slot);
  void wait_durable(uint64_t seq);
  int wal_fds_[GroupSync::kSlots] = {-1, -1};  // the WAL file, for fdatasync outside SQLite
  GroupSync wal_sync_{[this](int slot) { sync_wal(slot); }};
  ContainerCache containers_{4 << 20};
  BlobCache blobs_{16 << 20};
};

}  // namespace kiln::blob
