// MetadataStore on SQLite (WAL). One writer thread applies batches of write
// closures, one transaction per batch, and goes straight on to the next
// batch; the first waiting caller of each batch waits for an fdatasync of the
// WAL that covers it (core/group_sync.h) and releases the others. A batch of
// write_then() calls only, with no caller waiting, is completed the same way
// by one of two completer threads (two, so two syncs may overlap). Readers use a
// pool of connections reading committed state concurrently with the writer,
// with hot records cached in memory. Prepared statements are cached per
// connection.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "blob/metadata_store.h"
#include "blob/read_cache.h"
#include "core/group_sync.h"

struct sqlite3;

namespace kiln::blob {

class SqliteMetadataStore : public MetadataStore {
 public:
  // `durable` = false turns fsyncs off (the --in-memory mode, whose files vanish at exit).
  SqliteMetadataStore(const std::string& path, bool durable);
  ~SqliteMetadataStore() override;

  void read(const std::function<void(MetadataReader&)>& fn) override;
  void write(const std::function<void(MetadataWriter&)>& fn) override;
  void write_then(std::function<void(MetadataWriter&)> fn, std::function<void(std::exception_ptr)> then) override;
  std::vector<std::string> all_files() override;

  struct Connection;

  // Committed records for the read path: every request looks its container up,
  // and hot blobs are read again and again (see read_cache.h for the protocol).
  using ContainerCache = ReadCache<ContainerRecord>;
  using BlobCache = ReadCache<BlobRecord>;

 private:
  struct Pending;
  struct Completion;
  std::vector<std::function<void()>> run_batch(std::vector<Pending*>& batch);
  void open_wal_for_sync();
  static int on_wal_commit(void* self, sqlite3* db, const char* name, int frames);
  void checkpoint_loop();
  static constexpr int kWalFramesCheckpoint = 1000;
  static constexpr int kWalFramesWriterCheckpoints = 8000;
  void enqueue(Pending* p);
  void writer_loop();
  void complete_batch(Completion& c);
  void completer_loop();
  std::unique_ptr<Connection> borrow_reader();
  void return_reader(std::unique_ptr<Connection> c);

  std::string path_;
  bool durable_;
  std::unique_ptr<Connection> writer_;
  std::mutex readers_mu_;
  std::vector<std::unique_ptr<Connection>> readers_;
  std::mutex queue_mu_;
  std::vector<Pending*> queue_;
  std::condition_variable queued_;
  bool stopping_ = false;
  std::thread writer_thread_;
  std::mutex completions_mu_;
  std::condition_variable completion_queued_;
  std::deque<std::unique_ptr<Completion>> completions_;
  bool stopping_completers_ = false;
  std::thread completer_threads_[GroupSync::kSlots];
  std::unique_ptr<Connection> checkpointer_;
  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_wanted_;
  bool checkpoint_due_ = false;
  std::atomic<int> wal_frames_copied_{0};  // by the latest checkpoint
  bool stopping_checkpoints_ = false;
  std::thread checkpoint_thread_;
  void sync_wal(int slot);
  void wait_durable(uint64_t seq);
  int wal_fds_[GroupSync::kSlots] = {-1, -1};  // the WAL file, for fdatasync outside SQLite
  GroupSync wal_sync_{[this](int slot) { sync_wal(slot); }};
  ContainerCache containers_{4 << 20};
  BlobCache blobs_{16 << 20};
};

}  // namespace kiln::blob
