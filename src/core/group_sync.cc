#include "core/group_sync.h"

namespace kiln {

void GroupSync::end_commit(uint64_t n) {
  std::lock_guard<std::mutex> lk(mu_);
  if (n > ended_.load()) ended_ = n;
  commit_ended_.notify_all();
}

void GroupSync::wait_durable(uint64_t seq) {
  if (durable_.load() >= seq && !failed_.load()) return;  // fast path: already covered
  std::unique_lock<std::mutex> lk(mu_);
  while (true) {
    if (failure_) std::rethrow_exception(failure_);
    if (durable_.load() >= seq) return;
    // Wait while the commit is still in progress, while a sync that covers it
    // is running, or while as many syncs run as may overlap.
    if (ended_.load() < seq) {
      commit_ended_.wait(lk);
      continue;
    }
    if (newest_target_ >= seq || syncing_ >= kSlots) {
      sync_done_.wait(lk);
      continue;
    }
    // Start a sync covering every commit that has ended so far. It may
    // overlap one still running for older commits: the device queues both,
    // and a waiter need not sit out the older one's remaining time.
    int slot = 0;
    while (slot_busy_[slot]) ++slot;
    slot_busy_[slot] = true;
    ++syncing_;
    uint64_t target = ended_.load();
    newest_target_ = target;
    lk.unlock();
    std::exception_ptr error;
    try {
      sync_(slot);
    } catch (...) {
      error = std::current_exception();
    }
    ++syncs_;
    lk.lock();
    slot_busy_[slot] = false;
    --syncing_;
    if (error) {
      failure_ = error;
      failed_ = true;
    } else if (target > durable_.load()) {
      // A finished sync covers every write issued before it began, so any
      // sync that finishes first may advance the mark to its own target.
      durable_ = target;
    }
    sync_done_.notify_all();
  }
}

}  // namespace kiln
