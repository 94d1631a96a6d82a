#include "core/group_sync.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace kiln {
namespace {

TEST(GroupSync, EveryCommitIsCoveredByASyncThatBeganAfterIt) {
  // The sync records the highest commit it can cover; a waiter must never be
  // released by a sync that began before its commit.
  std::atomic<uint64_t> last_synced{0};
  GroupSync* self = nullptr;
  GroupSync group([&](int) {
    uint64_t covers = self->last_begun();
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    uint64_t prev = last_synced.load();
    while (covers > prev && !last_synced.compare_exchange_weak(prev, covers)) {
    }
  });
  self = &group;
  std::atomic<int> uncovered{0};
  std::mutex writer_mu;
  std::vector<std::thread> writers;
  for (int t = 0; t < 8; ++t) {
    writers.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        uint64_t seq;
        {
          std::lock_guard<std::mutex> one_writer(writer_mu);
          seq = group.begin_commit();
          group.end_commit(seq);
        }
        group.wait_durable(seq);
        if (last_synced.load() < seq) ++uncovered;
      }
    });
  }
  for (auto& t : writers) t.join();
  EXPECT_EQ(uncovered, 0);
  // Eight writers share syncs: far fewer syncs than commits.
  EXPECT_LT(group.syncs(), 1600u);
  EXPECT_GT(group.syncs(), 0u);
}

TEST(GroupSync, AlreadyDurableCommitsDoNotSyncAgain) {
  int syncs = 0;
  GroupSync group([&](int) { ++syncs; });
  uint64_t a = group.begin_commit();
  group.end_commit(a);
  uint64_t b = group.begin_commit();
  group.end_commit(b);
  group.wait_durable(b);
  group.wait_durable(a);
  EXPECT_EQ(syncs, 1);
  group.wait_durable(0);  // nothing committed before: nothing to do
  EXPECT_EQ(syncs, 1);
}

TEST(GroupSync, AFailedSyncFailsThatCommitAndEveryLaterOne) {
  bool fail = true;
  GroupSync group([&](int) {
    if (fail) throw std::runtime_error("fdatasync: EIO");
  });
  auto commit = [&] {
    uint64_t n = group.begin_commit();
    group.end_commit(n);
    return n;
  };
  EXPECT_THROW(group.wait_durable(commit()), std::runtime_error);
  fail = false;
  EXPECT_THROW(group.wait_durable(commit()), std::runtime_error);
}

TEST(GroupSync, AReaderWaitsForTheCommitInProgress) {
  std::atomic<int> syncs{0};
  GroupSync group([&](int) { ++syncs; });
  uint64_t n = group.begin_commit();  // issued, not yet returned
  std::atomic<bool> released{false};
  std::thread reader([&] {
    group.wait_durable(group.last_begun());
    released = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(released);
  EXPECT_EQ(syncs, 0);
  group.end_commit(n);
  reader.join();
  EXPECT_TRUE(released);
  EXPECT_EQ(syncs, 1);
}

TEST(GroupSync, ALaterCommitNeedNotWaitForTheSyncInFlightToFinish) {
  // The first sync hangs until released; a commit that ends meanwhile gets a
  // second sync of its own, in its own slot, which may finish first and covers it.
  std::mutex mu;
  std::condition_variable cv;
  int running = 0, started = 0;
  bool release_first = false;
  std::vector<int> slots;
  GroupSync group([&](int slot) {
    std::unique_lock<std::mutex> lk(mu);
    slots.push_back(slot);
    int me = ++started;
    ++running;
    cv.notify_all();
    if (me == 1) cv.wait(lk, [&] { return release_first; });
    --running;
  });
  auto commit = [&] {
    uint64_t n = group.begin_commit();
    group.end_commit(n);
    return n;
  };
  uint64_t first = commit();
  std::thread slow([&] { group.wait_durable(first); });
  {
    std::unique_lock<std::mutex> lk(mu);
    cv.wait(lk, [&] { return running == 1; });
  }
  group.wait_durable(commit());  // returns while the first sync still hangs
  {
    std::lock_guard<std::mutex> lk(mu);
    EXPECT_EQ(started, 2);
    EXPECT_EQ(running, 1);
    EXPECT_EQ(slots, (std::vector<int>{0, 1}));  // a file description of its own each
    release_first = true;
  }
  cv.notify_all();
  slow.join();
}

}  // namespace
}  // namespace kiln
