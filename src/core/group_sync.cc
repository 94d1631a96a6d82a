#include "core/group_sync.h"

namespace kiln {

void GroupSync::end_commit(uint64_t n) {
  std::lock_guard<std::mutex> lk(mu_);
  if (n > ended_.load()) ended_ = n;
  cv_.notify_all();  // readers waiting for a commit in progress
}

void GroupSync::wait_durable(uint64_t seq) {
  if (durable_.load() >= seq && !failed_.load()) return;  // fast path: already covered
  std::unique_lock<std::mutex> lk(mu_);
  while (true) {
    if (failure_) std::rethrow_exception(failure_);
    if (durable_.load() >= seq) return;
    if (syncing_ || ended_.load() < seq) {
      cv_.wait(lk);
      continue;
    }
    // Lead a sync covering every commit that has ended so far.
    syncing_ = true;
    uint64_t target = ended_.load();
    lk.unlock();
    std::exception_ptr error;
    try {
      sync_();
    } catch (...) {
      error = std::current_exception();
    }
    ++syncs_;
    lk.lock();
    syncing_ = false;
    if (error) {
      failure_ = error;
      failed_ = true;
    } else if (target > durable_.load()) {
      durable_ = target;
    }
    cv_.notify_all();
  }
}

}  // namespace kiln
