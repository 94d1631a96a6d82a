// Group durability: many commits made durable by few syncs, with the sync of
// one group overlapping the commits of the next.
//
// Up to kSlots syncs run at once, each in its own slot: `sync(slot)` must use
// a file description of its own per slot (its own open(), not a dup), because
// Linux reports a writeback error once per file description — two overlapping
// fdatasyncs on one descriptor could see one failure and one success.
//
// A store brackets each commit (issued without syncing) with begin_commit()
// and end_commit(), and before acknowledging it calls wait_durable() with its
// number. A waiter runs `sync` (e.g. fdatasync of a write-ahead log) on
// behalf of every commit that had ended before the sync began; the others
// wait for it. Commits ending while it runs are covered by the next sync,
// which may start before this one finishes (two at most in flight).
// A reader that may have seen a commit still in progress waits for
// last_begun(), so it never answers with data a crash could take back.
//
// Thread-safety: all methods may be called concurrently from any thread, but
// commits are bracketed by one writer at a time (numbers end in order).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>

namespace kiln {

class GroupSync {
 public:
  static constexpr int kSlots = 2;
  explicit GroupSync(std::function<void(int slot)> sync) : sync_(std::move(sync)) {}

  // Numbers a commit about to be issued.
  uint64_t begin_commit() { return ++begun_; }
  // The commit numbered `n` returned (its writes are issued) or failed.
  void end_commit(uint64_t n);
  uint64_t last_begun() const { return begun_.load(); }

  // Returns once commit `seq` has ended and a sync that began after that has
  // finished. A failed sync is rethrown to every waiter from then on: after
  // fsync fails the kernel may have dropped the unwritten pages, so no later
  // sync can promise that earlier commits are durable (fail-stop).
  void wait_durable(uint64_t seq);

  // True once a sync has failed (every wait_durable throws from then on).
  bool failed() const { return failed_.load(); }
  uint64_t syncs() const { return syncs_.load(); }  // for tests and benchmarks

 private:
  std::function<void(int slot)> sync_;
  std::atomic<uint64_t> begun_{0};
  std::atomic<uint64_t> ended_{0};
  std::atomic<uint64_t> durable_{0};
  std::atomic<uint64_t> syncs_{0};
  std::atomic<bool> failed_{false};
  std::mutex mu_;
  // Waiters for a commit still in progress (readers) and waiters for a sync
  // apart: each commit's end would otherwise wake every sync waiter for nothing.
  std::condition_variable commit_ended_;
  std::condition_variable sync_done_;
  bool slot_busy_[kSlots] = {};
  int syncing_ = 0;                // syncs running now
  uint64_t newest_target_ = 0;     // what the most recently started sync covers
  std::exception_ptr failure_;
};

}  // namespace kiln
