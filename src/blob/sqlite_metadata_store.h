// MetadataStore on SQLite (WAL). One writer connection applies batches of
// write closures in one transaction each (group commit: concurrent writers
// share one fsync); readers use a pool of connections reading committed state
// concurrently with the writer. Prepared statements are cached per connection.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "blob/metadata_store.h"

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

  // Committed container records for the read path (containers change rarely,
  // and every request looks its container up). Cleared after any commit that
  // changed a container; a reader only fills it if no such commit happened
  // since its read transaction began, so it never caches a stale record.
  class ContainerCache {
   public:
    // Taken before a read transaction begins; insert() needs it.
    uint64_t generation() {
      std::lock_guard<std::mutex> lk(mu_);
      return generation_;
    }
    // True on a hit (copied to `out`).
    bool lookup(const std::string& key, std::optional<ContainerRecord>& out) {
      std::lock_guard<std::mutex> lk(mu_);
      auto it = map_.find(key);
      if (it == map_.end()) return false;
      out = it->second;
      return true;
    }
    void insert(const std::string& key, const std::optional<ContainerRecord>& v, uint64_t generation) {
      std::lock_guard<std::mutex> lk(mu_);
      if (generation != generation_) return;
      if (map_.size() > 10000) map_.clear();
      map_[key] = v;
    }
    void invalidate() {
      std::lock_guard<std::mutex> lk(mu_);
      ++generation_;
      map_.clear();
    }
   private:
    std::mutex mu_;
    uint64_t generation_ = 0;
    std::unordered_map<std::string, std::optional<ContainerRecord>> map_;
  };

 private:
  struct Pending;
  void run_batch(std::vector<Pending*>& batch);
  std::unique_ptr<Connection> borrow_reader();
  void return_reader(std::unique_ptr<Connection> c);

  std::string path_;
  bool durable_;
  std::unique_ptr<Connection> writer_;
  std::mutex readers_mu_;
  std::vector<std::unique_ptr<Connection>> readers_;
  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::vector<Pending*> queue_;
  bool leader_active_ = false;
  ContainerCache containers_;
};

}  // namespace kiln::blob
