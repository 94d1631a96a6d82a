#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "batch/store.h"

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
  store->scan_task_docs("j", "a", std::nullopt, [&](const std::string& k, const std::string& id, const std::string& doc) {
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

}  // namespace
}  // namespace kiln::batch
