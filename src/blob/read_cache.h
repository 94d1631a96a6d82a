// A cache of committed metadata records for the read path, safe against the
// one writer that commits batches concurrently with readers.
//
// The cache only ever holds the current committed record of a key:
//   - a reader takes generation() BEFORE its read transaction begins, and may
//     only insert() what it read under that generation;
//   - the writer calls begin_change(keys) right before its COMMIT and
//     end_change() right after it (before acknowledging anything). Both bump
//     the generation, begin_change forgets the keys, and no insert is taken
//     while a change is in flight.
// So an insert succeeds only when no commit overlapped the reader's
// transaction: what it read is what is committed. While a commit lands, its
// keys are absent and readers go to SQLite, which never goes back in time.
//
// Bounded by an approximate byte budget; when full it starts over (the cache
// serves hot, repeated reads; a miss only costs the SQL lookup).
//
// Thread-safety: every method may be called from any thread; one writer.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace kiln::blob {

template <class Record>
class ReadCache {
 public:
  explicit ReadCache(size_t budget_bytes) : budget_(budget_bytes) {}

  uint64_t generation() {
    std::lock_guard<std::mutex> lk(mu_);
    return generation_;
  }
  // True on a hit (the record is copied to `out`).
  bool lookup(const std::string& key, std::optional<Record>& out) {
    std::lock_guard<std::mutex> lk(mu_);
    auto it = map_.find(key);
    if (it == map_.end()) return false;
    out = it->second.record;
    return true;
  }
  // `bytes` is the record's approximate size, charged against the budget.
  void insert(const std::string& key, const std::optional<Record>& record, uint64_t generation, size_t bytes) {
    std::lock_guard<std::mutex> lk(mu_);
    if (generation != generation_ || changing_) return;
    bytes += key.size() + 64;
    if (bytes > budget_ / 4) return;  // one record must not flush the rest
    if (used_ + bytes > budget_) {
      map_.clear();
      used_ = 0;
    }
    auto [it, inserted] = map_.try_emplace(key, Entry{record, bytes});
    if (!inserted) {
      used_ -= it->second.bytes;
      it->second = Entry{record, bytes};
    }
    used_ += bytes;
  }
  // Before a commit that changes `keys` (nullptr: any key) lands.
  void begin_change(const std::vector<std::string>* keys) {
    std::lock_guard<std::mutex> lk(mu_);
    ++generation_;
    changing_ = true;
    if (!keys) {
      map_.clear();
      used_ = 0;
      return;
    }
    for (const auto& key : *keys) {
      auto it = map_.find(key);
      if (it == map_.end()) continue;
      used_ -= it->second.bytes;
      map_.erase(it);
    }
  }
  // After that commit landed (or failed).
  void end_change() {
    std::lock_guard<std::mutex> lk(mu_);
    ++generation_;
    changing_ = false;
  }

 private:
  struct Entry {
    std::optional<Record> record;
    size_t bytes;
  };
  std::mutex mu_;
  uint64_t generation_ = 0;
  bool changing_ = false;
  size_t budget_;
  size_t used_ = 0;
  std::unordered_map<std::string, Entry> map_;
};

}  // namespace kiln::blob
