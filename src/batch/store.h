// Persistence of Batch entities behind an interface. Every entity is stored as
// its Azure JSON document; keys are lower-case ids because Batch ids are
// case-insensitive. Tasks carry a few indexed columns (state, slots, result) so
// a job of a million tasks can be paged and counted without loading it.
// Implementations are NOT thread-safe: the caller (the Batch engine) serialises
// access — except sync(), which callers use outside their lock so that
// concurrent requests share one flush (group commit).
//
// Durability: a write is atomic and survives a crash of the process as soon as
// the method returns (inside a batch: once end_batch has returned); it survives
// power loss once sync() has returned.
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "batch/model.h"
#include "batch/usage.h"

namespace kiln::batch {

struct TaskRow {
  std::string key;    // lower-case task id
  std::string state;  // active/preparing/running/completed
  int slots = 1;
  std::string result;  // "", "success", "failure"
  Json json;
  Usage usage;             // resources its attempts consumed (TaskStatistics)
  int64_t expires_us = 0;  // retention deadline of its directory; 0 = none pending
};

struct TaskCountRow {
  std::string state;
  std::string result;
  int64_t count = 0;
  int64_t slots = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  virtual void put_pool(const std::string& key, const Json& pool) = 0;
  virtual void delete_pool(const std::string& key) = 0;  // and its nodes
  virtual std::vector<Json> load_pools() = 0;

  virtual void put_node(const std::string& pool_key, const std::string& node_id, const Json& node) = 0;
  virtual void delete_node(const std::string& pool_key, const std::string& node_id) = 0;
  // (pool key, node document) for every node.
  virtual std::vector<std::pair<std::string, Json>> load_nodes() = 0;

  virtual void put_job(const std::string& key, const Json& job) = 0;
  virtual void delete_job(const std::string& key) = 0;  // and all its tasks
  virtual std::vector<Json> load_jobs() = 0;

  // Inserts new tasks atomically (one transaction); result[i] is false when a
  // task with rows[i].key already existed (that row is skipped).
  virtual std::vector<bool> insert_tasks(const std::string& job_key, const std::vector<TaskRow>& rows) = 0;
  virtual bool task_exists(const std::string& job_key, const std::string& key) = 0;
  virtual std::optional<TaskRow> get_task(const std::string& job_key, const std::string& key) = 0;
  virtual void update_task(const std::string& job_key, const TaskRow& row) = 0;
  // The same, for a caller done with `row` (the store may keep it).
  virtual void update_task(const std::string& job_key, TaskRow&& row) { update_task(job_key, row); }
  // Several updates in one transaction (one fsync).
  virtual void update_tasks(const std::string& job_key, const std::vector<TaskRow>& rows) = 0;
  virtual void delete_task(const std::string& job_key, const std::string& key) = 0;
  // Tasks of a job in key order after `after_key`, optionally only in `state`;
  // `visit` returns false to stop.
  virtual void scan_tasks(const std::string& job_key, const std::string& after_key,
                          const std::optional<std::string>& state,
                          const std::function<bool(TaskRow&)>& visit) = 0;
  // The stored JSON text of tasks in key order (no parsing: fast pages), with
  // their usage in Usage::to_text() form.
  virtual void scan_task_docs(
      const std::string& job_key, const std::string& after_key, const std::optional<std::string>& state,
      const std::function<bool(const std::string& key, const std::string& id, const std::string& doc,
                               const std::string& usage)>& visit) = 0;
  // Every task not completed, in the order they were added (for recovery);
  // the document (json) is only loaded for tasks that are not active.
  virtual void scan_unfinished(const std::function<void(const std::string& job_key, TaskRow&)>& visit) = 0;
  virtual std::vector<TaskCountRow> count_tasks(const std::string& job_key) = 0;

  // Retention: up to `limit` tasks whose expires_us is at most `until_us`,
  // earliest first; and the earliest pending deadline of all.
  virtual void scan_expiring(int64_t until_us, size_t limit,
                             const std::function<void(const std::string& job_key, TaskRow&)>& visit) = 0;
  virtual std::optional<int64_t> next_expiry() = 0;

  // Usage totals by scope ("job:<key>", "pool:<key>", "account:jobs", ...).
  virtual void put_usage(const std::string& scope, const std::string& text) = 0;
  virtual void delete_usage(const std::string& scope) = 0;
  virtual std::vector<std::pair<std::string, std::string>> load_usage() = 0;

  // Groups the writes up to the matching end_batch() into one transaction
  // (one commit instead of one per write); batches nest. end_batch(false), or
  // a write that throws inside a batch, rolls back the outermost batch's writes.
  virtual void begin_batch() {}
  virtual void end_batch(bool commit = true) { (void)commit; }

  // Makes every write completed before the call durable (fdatasync of the WAL).
  // Thread-safe; concurrent callers share one flush.
  virtual void sync() = 0;
};

// Scope of a store batch: commits at the end of the scope, rolls back when the
// scope is left by an exception.
class StoreBatch {
 public:
  explicit StoreBatch(Store& store) : store_(store), exceptions_(std::uncaught_exceptions()) {
    store_.begin_batch();
  }
  ~StoreBatch() noexcept(false) { store_.end_batch(std::uncaught_exceptions() == exceptions_); }
  StoreBatch(const StoreBatch&) = delete;
  StoreBatch& operator=(const StoreBatch&) = delete;

 private:
  Store& store_;
  int exceptions_;
};

// SQLite implementation; ":memory:" for an in-memory store.
std::unique_ptr<Store> make_sqlite_store(const std::string& path);

}  // namespace kiln::batch
