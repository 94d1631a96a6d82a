#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "batch/store.h"
#include "core/sqlite.h"

namespace kiln::batch {
namespace {

TaskRow task(const std::string& id, const std::string& state = "active", int slots = 1) {
  TaskRow r;
  r.key = id;
  r.state = state;
  r.slots = slots;
  r.json = {{"id", id}, {"state", state}};
  return r;
}

// Rows written lately are served from memory: reads must still see exactly
// what the table holds, through updates, repeated reads and deletions.
TEST(SqliteStore, RecentlyWrittenTasksReadBackAsStored) {
  auto store = make_sqlite_store(":memory:");
  store->insert_tasks("j", {task("a"), task("b")});
  TaskRow a = *store->get_task("j", "a");
  a.state = "running";
  a.json["state"] = "running";
  a.expires_us = 42;
  store->update_task("j", a);
  for (int read = 0; read < 2; ++read) {  // the second read comes from the table
    auto got = store->get_task("j", "a");
    ASSERT_TRUE(got);
    EXPECT_EQ(got->state, "running");
    EXPECT_EQ(got->json["state"], "running");
    EXPECT_EQ(got->expires_us, 42);
  }
  TaskRow b = *store->get_task("j", "b");
  b.state = "completed";
  store->update_task("j", b);
  store->delete_task("j", "b");
  EXPECT_FALSE(store->get_task("j", "b"));
  a.state = "completed";
  store->update_task("j", a);
  store->delete_job("j");
  EXPECT_FALSE(store->get_task("j", "a"));
  store->insert_tasks("j", {task("a")});  // the same id again: a fresh task
  EXPECT_EQ(store->get_task("j", "a")->state, "active");
}

TEST(SqliteStore, BatchesCommitTogetherOrNotAtAll) {
  auto store = make_sqlite_store(":memory:");
  store->insert_tasks("j", {task("a"), task("b")});
  auto set_state = [&](const std::string& key, const std::string& state) {
    TaskRow r = *store->get_task("j", key);
    r.state = state;
    store->update_task("j", std::move(r));
  };
  store->begin_batch();
  set_state("a", "running");
  store->begin_batch();  // nested: part of the outer batch
  store->insert_tasks("j", {task("c")});
  store->end_batch();
  set_state("b", "running");
  store->end_batch(false);
  EXPECT_EQ(store->get_task("j", "a")->state, "active");
  EXPECT_EQ(store->get_task("j", "b")->state, "active");
  EXPECT_FALSE(store->get_task("j", "c"));

  {
    StoreBatch batch(*store);
    set_state("a", "completed");
    store->insert_tasks("j", {task("c")});
  }
  EXPECT_EQ(store->get_task("j", "a")->state, "completed");
  EXPECT_TRUE(store->get_task("j", "c"));
  try {
    StoreBatch batch(*store);
    set_state("b", "completed");
    throw std::runtime_error("failed half way");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(store->get_task("j", "b")->state, "active");
}

TEST(SqliteStore, TasksInsertDetectDuplicatesScanAndCount) {
  auto store = make_sqlite_store(":memory:");
  auto ins = store->insert_tasks("j", {task("b"), task("a", "active", 2), task("c")});
  EXPECT_EQ(ins, (std::vector<bool>{true, true, true}));
  EXPECT_EQ(store->insert_tasks("j", {task("a"), task("d")}), (std::vector<bool>{false, true}));
  EXPECT_TRUE(store->task_exists("j", "a"));
  EXPECT_FALSE(store->task_exists("other", "a"));

  TaskRow done = *store->get_task("j", "b");
  done.state = "completed";
  done.result = "success";
  store->update_task("j", done);

  std::vector<std::string> keys;
  store->scan_task_docs("j", "a", std::nullopt, [&](const std::string& k, const std::string& id, const std::string& doc, const std::string&) {
    keys.push_back(k);
    EXPECT_EQ(nlohmann::json::parse(doc)["id"], id);
    return true;
  });
  EXPECT_EQ(keys, (std::vector<std::string>{"b", "c", "d"}));  // strictly after "a", in key order
  keys.clear();
  store->scan_tasks("j", "", std::string("completed"), [&](TaskRow& r) {
    keys.push_back(r.key);
    return true;
  });
  EXPECT_EQ(keys, (std::vector<std::string>{"b"}));

  int64_t active = 0, active_slots = 0, succeeded = 0;
  for (const auto& c : store->count_tasks("j")) {
    if (c.state == "active") active += c.count, active_slots += c.slots;
    if (c.state == "completed" && c.result == "success") succeeded += c.count;
  }
  EXPECT_EQ(active, 3);
  EXPECT_EQ(active_slots, 4);
  EXPECT_EQ(succeeded, 1);

  std::vector<std::string> unfinished;
  store->scan_unfinished([&](const std::string& job, TaskRow& r) { unfinished.push_back(job + "/" + r.key); });
  EXPECT_EQ(unfinished, (std::vector<std::string>{"j/a", "j/c", "j/d"}));  // in add order
}

TEST(SqliteStore, EntitiesSurviveReopenAndDeleteCascades) {
  auto path = std::filesystem::temp_directory_path() / ("kiln-store-test-" + std::to_string(getpid()) + ".db");
  std::filesystem::remove(path);
  {
    auto store = make_sqlite_store(path);
    store->put_pool("p", {{"id", "P"}});
    store->put_node("p", "n1", {{"id", "n1"}});
    store->put_job("j", {{"id", "J"}});
    store->insert_tasks("j", {task("t")});
    store->sync();
  }
  {
    auto store = make_sqlite_store(path);
    ASSERT_EQ(store->load_pools().size(), 1u);
    EXPECT_EQ(store->load_pools()[0]["id"], "P");
    ASSERT_EQ(store->load_nodes().size(), 1u);
    EXPECT_EQ(store->load_nodes()[0].first, "p");
    EXPECT_TRUE(store->task_exists("j", "t"));
    store->delete_job("j");
    EXPECT_FALSE(store->task_exists("j", "t"));
    store->delete_pool("p");
    EXPECT_TRUE(store->load_nodes().empty());
  }
  std::filesystem::remove(path);
  std::filesystem::remove(path.string() + "-wal");
  std::filesystem::remove(path.string() + "-shm");
}

TEST(SqliteStore, TaskUsageAndRetentionDeadlinesArePersistedAndScannedEarliestFirst) {
  auto store = make_sqlite_store(":memory:");
  store->insert_tasks("j", {task("a"), task("b"), task("c")});
  EXPECT_FALSE(store->next_expiry());
  for (auto [key, expires] : {std::pair{"a", 300}, std::pair{"b", 100}}) {
    TaskRow r = *store->get_task("j", key);
    r.state = "completed";
    r.usage.user_cpu_us = 42;
    r.expires_us = expires;
    store->update_task("j", r);
  }
  EXPECT_EQ(store->get_task("j", "a")->usage.user_cpu_us, 42);
  EXPECT_EQ(store->get_task("j", "c")->expires_us, 0);
  EXPECT_EQ(store->next_expiry(), 100);
  std::vector<std::string> due;
  store->scan_expiring(200, 10, [&](const std::string& job, TaskRow& r) {
    due.push_back(job + "/" + r.key);
    r.expires_us = 0;
    store->update_task(job, r);  // visitors may write
  });
  EXPECT_EQ(due, (std::vector<std::string>{"j/b"}));
  EXPECT_EQ(store->next_expiry(), 300);
  std::string usage;
  store->scan_task_docs("j", "", std::nullopt, [&](const std::string& k, const std::string&, const std::string&,
                                                   const std::string& u) {
    if (k == "a") usage = u;
    return true;
  });
  EXPECT_EQ(Usage::from_text(usage).user_cpu_us, 42);
}

TEST(SqliteStore, UsageTotalsByScope) {
  auto store = make_sqlite_store(":memory:");
  store->put_usage("job:j", "{\"u\":1}");
  store->put_usage("account:jobs", "{\"u\":2}");
  store->put_usage("job:j", "{\"u\":3}");
  auto all = store->load_usage();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1], (std::pair<std::string, std::string>{"job:j", "{\"u\":3}"}));
  store->delete_usage("job:j");
  EXPECT_EQ(store->load_usage().size(), 1u);
}

TEST(SqliteStore, DatabaseFromBeforeUsageColumnsIsMigrated) {
  auto path = std::filesystem::temp_directory_path() / ("kiln-store-migrate-" + std::to_string(getpid()) + ".db");
  std::filesystem::remove(path);
  {
    sql::Database old(path.string());
    old.exec("CREATE TABLE tasks (job_key TEXT NOT NULL, key TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL,"
             " state TEXT NOT NULL, slots INTEGER NOT NULL, result TEXT NOT NULL, doc TEXT NOT NULL,"
             " PRIMARY KEY (job_key, key)) WITHOUT ROWID;"
             "INSERT INTO tasks VALUES ('j', 't', 'T', 1, 'completed', 1, 'success', '{\"id\":\"T\"}')");
  }
  {
    auto store = make_sqlite_store(path);
    auto row = store->get_task("j", "t");
    ASSERT_TRUE(row);
    EXPECT_TRUE(row->usage.empty());
    row->expires_us = 5;
    store->update_task("j", *row);
    EXPECT_EQ(store->next_expiry(), 5);
  }
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
}

}  // namespace
}  // namespace kiln::batch
