#include "blob/sqlite_metadata_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "blob/errors.h"
#include "core/file_util.h"
#include "core/sqlite.h"

namespace kiln::blob {
namespace {

// Every test runs on an in-memory-mode store and on a durable one (fsyncs,
// WAL synced outside SQLite).
class StoreTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/kiln-store-test-XXXXXX";
    dir_ = mkdtemp(templ);
    store_ = std::make_unique<SqliteMetadataStore>(dir_ + "/m.db", GetParam());
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  BlobRecord blob(const std::string& name, const std::string& snapshot = "") {
    BlobRecord b;
    b.account = "a";
    b.container = "c";
    b.name = name;
    b.snapshot = snapshot;
    b.size = 3;
    b.inline_data = "abc";
    b.etag = "\"0x1\"";
    b.metadata["Key"] = "v";
    return b;
  }
  // Container "c" of account "a" with blob "x" in it.
  void put_container_with_blob() {
    ContainerRecord c;
    c.account = "a";
    c.name = "c";
    store_->write([&](MetadataWriter& w) {
      w.put_container(c);
      w.put_blob(blob("x"));
    });
  }
  std::string dir_;
  std::unique_ptr<SqliteMetadataStore> store_;
};

TEST_P(StoreTest, PropertiesWithEscapesRoundTripThroughGetAndList) {
  BlobRecord in = blob("odd");
  in.metadata["Key"] = "q\"b\\s\x01" "c\n\xc3\xa9\xf0\x9f\x98\x80";
  in.props.content_type = "text/plain; charset=\"utf-8\"";
  in.lease.state = "leased";
  in.lease.duration = -1;
  in.copy_id = "id";
  in.copy_source = "http://h/c/b?x=1";
  in.copy_status = "success";
  store_->write([&](MetadataWriter& w) { w.put_blob(in); });
  store_->read([&](MetadataReader& r) {
    auto got = r.get_blob("a", "c", "odd", "");
    ASSERT_TRUE(got);
    auto listed = r.list_blobs("a", "c", ListBlobsQuery{});
    ASSERT_EQ(listed.size(), 1u);
    for (const BlobRecord* b : {&*got, &listed[0]}) {
      EXPECT_EQ(b->metadata, in.metadata);
      EXPECT_EQ(b->props.content_type, in.props.content_type);
      EXPECT_EQ(b->lease.state, "leased");
      EXPECT_EQ(b->lease.duration, -1);
      EXPECT_EQ(b->copy_source, in.copy_source);
      EXPECT_EQ(b->etag, in.etag);
      EXPECT_EQ(b->size, 3);
    }
  });
}

TEST_P(StoreTest, BlobsRoundTripAndListOrder) {
  store_->write([&](MetadataWriter& w) {
    w.put_blob(blob("b"));
    w.put_blob(blob("b", "2020-01-01T00:00:00.0000000Z"));
    w.put_blob(blob("a"));
    w.put_blob(blob("c/d"));
  });
  store_->read([&](MetadataReader& r) {
    auto b = r.get_blob("a", "c", "b", "");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->inline_data, "abc");
    EXPECT_EQ(b->metadata.at("key"), "v");  // case-insensitive lookup, case kept
    EXPECT_TRUE(r.has_snapshots("a", "c", "b"));
    ListBlobsQuery q;
    q.include_snapshots = true;
    auto all = r.list_blobs("a", "c", q);
    ASSERT_EQ(all.size(), 4u);
    EXPECT_EQ(all[0].name, "a");
    EXPECT_EQ(all[1].snapshot, "2020-01-01T00:00:00.0000000Z");  // snapshots before the base blob
    EXPECT_EQ(all[2].snapshot, "");
    EXPECT_TRUE(all[2].inline_data.empty());  // listings do not load data
    q.include_snapshots = false;
    q.prefix = "c/";
    EXPECT_EQ(r.list_blobs("a", "c", q).size(), 1u);
  });
}

TEST_P(StoreTest, FailedWriteRollsBackOnlyItself) {
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&, i] {
      try {
        store_->write([&](MetadataWriter& w) {
          w.put_blob(blob("n" + std::to_string(i)));
          if (i % 2) throw err::condition_not_met();
        });
        ++ok;
      } catch (const AzureError&) {
        ++failed;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 8);
  EXPECT_EQ(failed, 8);
  store_->read([&](MetadataReader& r) {
    EXPECT_EQ(r.list_blobs("a", "c", ListBlobsQuery{}).size(), 8u);
    EXPECT_TRUE(r.get_blob("a", "c", "n0", ""));
    EXPECT_FALSE(r.get_blob("a", "c", "n1", ""));
  });
}

TEST_P(StoreTest, AfterCommitRunsOnlyOnSuccess) {
  bool ran = false;
  store_->write([&](MetadataWriter& w) { w.after_commit([&] { ran = true; }); });
  EXPECT_TRUE(ran);
  ran = false;
  EXPECT_THROW(store_->write([&](MetadataWriter& w) {
    w.after_commit([&] { ran = true; });
    throw err::internal_error();
  }),
               AzureError);
  EXPECT_FALSE(ran);
}

TEST_P(StoreTest, BlocksExpire) {
  store_->write([&](MetadataWriter& w) {
    w.put_block("a", "c", "b", BlockRecord{"AA==", 1, "f1", 100});
    w.put_block("a", "c", "b", BlockRecord{"AB==", 1, "f2", 300});
  });
  store_->write([&](MetadataWriter& w) {
    auto expired = w.expired_blocks(200, 10);
    ASSERT_EQ(expired.size(), 1u);
    EXPECT_EQ(expired[0].file, "f1");
    w.delete_block(expired[0]);
  });
  auto files = store_->all_files();
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0], "f2");
}

}  // namespace
}  // namespace kiln::blob

namespace kiln::blob {
namespace {

TEST_P(StoreTest, ContainerReadsSeeCommittedChanges) {
  ContainerRecord c;
  c.account = "a";
  c.name = "c";
  c.etag = "\"1\"";
  store_->write([&](MetadataWriter& w) { w.put_container(c); });
  for (int i = 2; i < 5; ++i) {
    store_->read([&](MetadataReader& r) { EXPECT_EQ(r.get_container("a", "c")->etag, "\"" + std::to_string(i - 1) + "\""); });
    c.etag = "\"" + std::to_string(i) + "\"";
    store_->write([&](MetadataWriter& w) { w.put_container(c); });
  }
  store_->read([&](MetadataReader& r) { EXPECT_EQ(r.get_container("a", "c")->etag, "\"4\""); });
  store_->write([&](MetadataWriter& w) { w.delete_container("a", "c"); });
  store_->read([&](MetadataReader& r) { EXPECT_FALSE(r.get_container("a", "c")); });
}

TEST_P(StoreTest, BlobReadsSeeEveryAcknowledgedWrite) {
  // Blob reads are cached: once write() returns, no reader may see the old record.
  std::atomic<int> acknowledged{0};
  std::atomic<bool> stop{false};
  std::atomic<int> stale{0}, went_back{0};
  store_->write([&](MetadataWriter& w) { w.put_blob(blob("hot")); });
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      int last = 0;
      while (!stop) {
        int floor = acknowledged.load();
        store_->read([&](MetadataReader& r) {
          auto b = r.get_blob("a", "c", "hot", "");
          int seen = b ? std::stoi(b->etag.substr(1)) : 0;  // etag "\"<n>" (the first one "0x1")
          if (seen < floor) ++stale;
          if (seen < last) ++went_back;
          last = seen;
        });
      }
    });
  }
  for (int i = 1; i <= 300; ++i) {
    BlobRecord b = blob("hot");
    b.etag = "\"" + std::to_string(i);
    store_->write([&](MetadataWriter& w) { w.put_blob(b); });
    acknowledged = i;
  }
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(stale, 0);
  EXPECT_EQ(went_back, 0);
  store_->write([&](MetadataWriter& w) { w.delete_blob("a", "c", "hot", ""); });
  store_->read([&](MetadataReader& r) { EXPECT_FALSE(r.get_blob("a", "c", "hot", "")); });
}

TEST_P(StoreTest, DeletingAContainerForgetsItsCachedBlobs) {
  put_container_with_blob();
  store_->read([&](MetadataReader& r) { EXPECT_TRUE(r.get_blob("a", "c", "x", "")); });
  store_->write([&](MetadataWriter& w) { w.delete_container("a", "c"); });
  store_->read([&](MetadataReader& r) { EXPECT_FALSE(r.get_blob("a", "c", "x", "")); });
}

TEST_P(StoreTest, MovingAContainerTakesItsBlobsAndBlocksAndForgetsCachedReads) {
  put_container_with_blob();
  store_->write([&](MetadataWriter& w) { w.put_block("a", "c", "x", BlockRecord{"b1", 3, "f1", 1}); });
  store_->read([&](MetadataReader& r) { EXPECT_TRUE(r.get_blob("a", "c", "x", "")); });  // now cached
  store_->write([&](MetadataWriter& w) { w.move_container("a", "c", "a\x1f", "c\x1fv1"); });
  store_->read([&](MetadataReader& r) {
    EXPECT_FALSE(r.get_container("a", "c"));
    EXPECT_FALSE(r.get_blob("a", "c", "x", ""));
    EXPECT_TRUE(r.list_blocks("a", "c", "x").empty());
    EXPECT_TRUE(r.get_container("a\x1f", "c\x1fv1"));
    auto moved = r.get_blob("a\x1f", "c\x1fv1", "x", "");
    ASSERT_TRUE(moved);
    EXPECT_EQ(moved->inline_data, "abc");  // small blobs' bytes follow their rows
    EXPECT_EQ(r.list_blocks("a\x1f", "c\x1fv1", "x").size(), 1u);
  });
}

TEST_P(StoreTest, ConcurrentWritersEachGetTheirOwnOutcome) {
  // Many writers share batches: each must be released once, with its own
  // error, and a failing closure must undo only itself.
  constexpr int kThreads = 8, kWrites = 150;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWrites; ++i) {
        std::string name = "t" + std::to_string(t) + "-" + std::to_string(i);
        try {
          store_->write([&](MetadataWriter& w) {
            w.put_blob(blob(name));
            if (i % 10 == 3) throw std::runtime_error("refused " + name);
          });
        } catch (const std::runtime_error& e) {
          EXPECT_EQ(std::string(e.what()), "refused " + name);
          ++failures;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), kThreads * (kWrites / 10));
  store_->read([&](MetadataReader& r) {
    for (int t = 0; t < kThreads; ++t)
      for (int i = 0; i < kWrites; ++i)
        EXPECT_EQ(bool(r.get_blob("a", "c", "t" + std::to_string(t) + "-" + std::to_string(i), "")), i % 10 != 3);
  });
}

// Collects write_then() outcomes, each by name, and waits for them.
struct Outcomes {
  std::mutex mu;
  std::condition_variable cv;
  std::map<std::string, std::string> by_name;  // "" for success, else the error
  std::function<void(std::exception_ptr)> for_write(const std::string& name) {
    return [this, name](std::exception_ptr e) {
      std::string what;
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& x) {
          what = x.what();
        }
      }
      std::lock_guard<std::mutex> lk(mu);
      EXPECT_FALSE(by_name.count(name)) << name << " completed twice";
      by_name[name] = what;
      cv.notify_all();
    };
  }
  void wait_for(size_t n) {
    std::unique_lock<std::mutex> lk(mu);
    cv.wait(lk, [&] { return by_name.size() >= n; });
  }
};

TEST_P(StoreTest, WritesWithoutAWaitingThreadCompleteOnceEachWithTheirOwnOutcome) {
  // write_then() batches mix with waiting writers; a failing closure undoes
  // only itself, and its completion gets its own error.
  constexpr int kWrites = 300;
  Outcomes outcomes;
  std::thread waiting([&] {
    for (int i = 0; i < 50; ++i) store_->write([&](MetadataWriter& w) { w.put_blob(blob("sync" + std::to_string(i))); });
  });
  for (int i = 0; i < kWrites; ++i) {
    std::string name = "async" + std::to_string(i);
    store_->write_then(
        [this, name, i](MetadataWriter& w) {
          w.put_blob(blob(name));
          if (i % 10 == 3) throw std::runtime_error("refused " + name);
        },
        outcomes.for_write(name));
  }
  waiting.join();
  outcomes.wait_for(kWrites);
  store_->read([&](MetadataReader& r) {
    for (int i = 0; i < kWrites; ++i) {
      std::string name = "async" + std::to_string(i);
      bool refused = i % 10 == 3;
      EXPECT_EQ(outcomes.by_name[name], refused ? "refused " + name : "");
      EXPECT_EQ(bool(r.get_blob("a", "c", name, "")), !refused);
    }
    for (int i = 0; i < 50; ++i) EXPECT_TRUE(r.get_blob("a", "c", "sync" + std::to_string(i), ""));
  });
}

TEST_P(StoreTest, ClosingTheStoreCompletesTheWritesItAccepted) {
  Outcomes outcomes;
  for (int i = 0; i < 200; ++i) {
    std::string name = "n" + std::to_string(i);
    store_->write_then([this, name](MetadataWriter& w) { w.put_blob(blob(name)); }, outcomes.for_write(name));
  }
  store_.reset();  // returns only once every accepted write is completed
  EXPECT_EQ(outcomes.by_name.size(), 200u);
  for (const auto& [name, error] : outcomes.by_name) EXPECT_EQ(error, "") << name;
  store_ = std::make_unique<SqliteMetadataStore>(dir_ + "/m.db", GetParam());
  store_->read([&](MetadataReader& r) {
    for (int i = 0; i < 200; ++i) EXPECT_TRUE(r.get_blob("a", "c", "n" + std::to_string(i), ""));
  });
}

// Counts rows with a connection of the test's own (what a restart would find).
int64_t count_rows(const std::string& db_path, const std::string& table) {
  sql::Database db(db_path);
  auto st = db.prepare("SELECT count(*) FROM " + table);
  EXPECT_TRUE(st.step());
  return st.int64(0);
}

TEST_P(StoreTest, SmallBlobBytesLiveAndDieWithTheirRow) {
  ContainerRecord c;
  c.account = "a";
  c.name = "c";
  BlobRecord big = blob("x");
  big.inline_data = std::string(5000, 'z');  // would overflow a page of the blobs table
  store_->write([&](MetadataWriter& w) {
    w.put_container(c);
    w.put_blob(big);
    w.put_blob(blob("y"));
    w.put_blob(blob("y", "2026-01-01T00:00:00.0000000Z"));
  });
  EXPECT_EQ(count_rows(dir_ + "/m.db", "blob_data"), 3);
  store_->read([&](MetadataReader& r) {
    EXPECT_EQ(r.get_blob("a", "c", "x", "")->inline_data, big.inline_data);
    EXPECT_EQ(r.get_blob("a", "c", "y", "2026-01-01T00:00:00.0000000Z")->inline_data, "abc");
  });
  // Replacing a blob frees its old bytes; so do deleting it and its container.
  BlobRecord replaced = blob("x");
  replaced.inline_data = "new";
  store_->write([&](MetadataWriter& w) { w.put_blob(replaced); });
  EXPECT_EQ(count_rows(dir_ + "/m.db", "blob_data"), 3);
  store_->read([&](MetadataReader& r) { EXPECT_EQ(r.get_blob("a", "c", "x", "")->inline_data, "new"); });
  BlobRecord emptied = blob("x");
  emptied.inline_data.clear();
  store_->write([&](MetadataWriter& w) { w.put_blob(emptied); });
  EXPECT_EQ(count_rows(dir_ + "/m.db", "blob_data"), 2);
  store_->write([&](MetadataWriter& w) { w.delete_blob("a", "c", "y", ""); });
  EXPECT_EQ(count_rows(dir_ + "/m.db", "blob_data"), 1);
  store_->write([&](MetadataWriter& w) { w.delete_container("a", "c"); });
  EXPECT_EQ(count_rows(dir_ + "/m.db", "blob_data"), 0);
}

TEST_P(StoreTest, WalStaysBoundedUnderConstantWrites) {
  // Checkpoints run on their own thread; the WAL must still restart from its
  // beginning now and then instead of growing without end.
  BlobRecord b = blob("w");
  b.inline_data = std::string(4096, 'w');
  for (int i = 0; i < 12000; ++i) store_->write([&](MetadataWriter& w) { w.put_blob(b); });
  struct stat st {};
  ASSERT_EQ(::stat((dir_ + "/m.db-wal").c_str(), &st), 0);
  EXPECT_LT(st.st_size, int64_t(9000) * (4096 + 24));  // under the writer's own bound, with room
  store_->read([&](MetadataReader& r) { EXPECT_EQ(r.get_blob("a", "c", "w", "")->inline_data, b.inline_data); });
}

INSTANTIATE_TEST_SUITE_P(Durability, StoreTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Durable" : "NotSynced"; });

// A new directory holding m.db, a store an older Kiln wrote: `schema_and_rows` run on it.
std::string old_store(const char* schema_and_rows) {
  char templ[] = "/tmp/kiln-store-test-XXXXXX";
  std::string dir = mkdtemp(templ);
  sql::Database db(dir + "/m.db");
  db.exec(schema_and_rows);
  return dir;
}

// A store written before small blobs' bytes moved to blob_data: its rows keep
// their bytes in blobs.data, are read as they are, and move on their next write.
TEST(StoreMigration, ReadsBlobsStoredInlineBeforeDataId) {
  std::string dir = old_store(R"sql(
CREATE TABLE blobs(account TEXT NOT NULL, container TEXT NOT NULL, name TEXT NOT NULL,
  snap TEXT NOT NULL, file TEXT NOT NULL, data BLOB, doc TEXT NOT NULL, blocks TEXT,
  PRIMARY KEY(account, container, name, snap)) WITHOUT ROWID;
INSERT INTO blobs VALUES('a', 'c', 'old', '~', '', X'6F6C64', '{}', NULL);
)sql");
  std::string path = dir + "/m.db";
  {
    SqliteMetadataStore store(path, true);
    store.read([&](MetadataReader& r) {
      auto b = r.get_blob("a", "c", "old", "");
      ASSERT_TRUE(b);
      EXPECT_EQ(b->inline_data, "old");
    });
    BlobRecord b;
    b.account = "a";
    b.container = "c";
    b.name = "old";
    b.inline_data = "rewritten";
    store.write([&](MetadataWriter& w) { w.put_blob(b); });
  }
  {
    SqliteMetadataStore store(path, true);  // opening again must not migrate twice
    store.read([&](MetadataReader& r) { EXPECT_EQ(r.get_blob("a", "c", "old", "")->inline_data, "rewritten"); });
  }
  sql::Database db(path);
  auto st = db.prepare("SELECT data IS NULL, data_id IS NOT NULL FROM blobs");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.int64(0), 1);
  EXPECT_EQ(st.int64(1), 1);
  fs::remove_all(dir);
}

// A store written before customer-provided keys: its staged blocks gain an
// empty key column and keep being read; new blocks keep their key.
TEST(StoreMigration, StagedBlocksFromBeforeCustomerKeysReadWithoutAKey) {
  std::string dir = old_store(R"sql(
CREATE TABLE blocks(account TEXT NOT NULL, container TEXT NOT NULL, blob TEXT NOT NULL,
  id TEXT NOT NULL, size INTEGER NOT NULL, file TEXT NOT NULL, created INTEGER NOT NULL,
  PRIMARY KEY(account, container, blob, id)) WITHOUT ROWID;
INSERT INTO blocks VALUES('a', 'c', 'b', 'YQ==', 3, 'f1', 7);
)sql");
  SqliteMetadataStore store(dir + "/m.db", true);
  store.write([&](MetadataWriter& w) { w.put_block("a", "c", "b", BlockRecord{"Yg==", 4, "f2", 8, "sha"}); });
  store.read([&](MetadataReader& r) {
    auto blocks = r.list_blocks("a", "c", "b");
    ASSERT_EQ(blocks.size(), 2u);
    EXPECT_EQ(blocks[0].file, "f1");
    EXPECT_EQ(blocks[0].customer_key_sha256, "");
    EXPECT_EQ(blocks[1].customer_key_sha256, "sha");
  });
  fs::remove_all(dir);
}

}  // namespace
}  // namespace kiln::blob
