// SQLite-backed Store. Documents are JSON text; prepared statements are cached
// per connection so a hot path (task state updates) costs one step(). The rows
// of tasks written lately (those moving through preparing → running →
// completed) are kept parsed, so each transition reads its task without a
// SELECT and a JSON parse; every task write goes through this class, so that
// copy is never stale.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "batch/store.h"
#include "core/sqlite.h"

namespace kiln::batch {
namespace {

const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS pools (key TEXT PRIMARY KEY, doc TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS nodes (pool_key TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL,
  PRIMARY KEY (pool_key, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS jobs (key TEXT PRIMARY KEY, doc TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tasks (job_key TEXT NOT NULL, key TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL,
  state TEXT NOT NULL, slots INTEGER NOT NULL, result TEXT NOT NULL, doc TEXT NOT NULL,
  PRIMARY KEY (job_key, key)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS tasks_by_state ON tasks (job_key, state, key);
CREATE TABLE IF NOT EXISTS usage_totals (scope TEXT PRIMARY KEY, doc TEXT NOT NULL) WITHOUT ROWID;
)";

// Columns added after the first release, for databases created before them.
const char* kTaskColumns[][2] = {
    {"usage", "ALTER TABLE tasks ADD COLUMN usage TEXT NOT NULL DEFAULT ''"},
    {"expires_us", "ALTER TABLE tasks ADD COLUMN expires_us INTEGER"},
};
// Only tasks whose directory still awaits removal are indexed.
const char* kExpiryIndex =
    "CREATE INDEX IF NOT EXISTS tasks_by_expiry ON tasks (expires_us) WHERE expires_us IS NOT NULL";

class SqliteStore : public Store {
 public:
  explicit SqliteStore(const std::string& path) : db_(path) {
    db_.exec(kSchema);
    migrate();
    if (path != ":memory:") {
      db_.exec("PRAGMA synchronous=NORMAL");
      // A write creates the -wal file, which then lives as long as the connection.
      db_.exec("CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT);"
               "INSERT OR REPLACE INTO meta (k, v) VALUES ('opened', datetime('now'))");
      wal_fd_ = ::open((path + "-wal").c_str(), O_RDONLY | O_CLOEXEC);
      if (wal_fd_ < 0) throw sql::SqliteError("cannot open the WAL of " + path);
    }
    written_ = 1;  // the schema/meta writes above
    auto st = db_.prepare("SELECT COALESCE(MAX(seq), 0) FROM tasks");
    if (st.step()) seq_ = st.int64(0);
  }

  ~SqliteStore() override {
    if (wal_fd_ >= 0) ::close(wal_fd_);
  }

  void put_pool(const std::string& key, const Json& pool) override {
    stmt("INSERT OR REPLACE INTO pools (key, doc) VALUES (?, ?)").bind(1, key).bind(2, pool.dump()).run();
    written_.fetch_add(1);
  }
  void delete_pool(const std::string& key) override {
    Tx tx(*this);
    stmt("DELETE FROM nodes WHERE pool_key = ?").bind(1, key).run();
    stmt("DELETE FROM pools WHERE key = ?").bind(1, key).run();
    tx.commit();
    written_.fetch_add(1);
  }
  std::vector<Json> load_pools() override { return load_docs("SELECT doc FROM pools ORDER BY key"); }

  void put_node(const std::string& pool_key, const std::string& node_id, const Json& node) override {
    stmt("INSERT OR REPLACE INTO nodes (pool_key, id, doc) VALUES (?, ?, ?)")
        .bind(1, pool_key).bind(2, node_id).bind(3, node.dump()).run();
    written_.fetch_add(1);
  }
  void delete_node(const std::string& pool_key, const std::string& node_id) override {
    stmt("DELETE FROM nodes WHERE pool_key = ? AND id = ?").bind(1, pool_key).bind(2, node_id).run();
    written_.fetch_add(1);
  }
  std::vector<std::pair<std::string, Json>> load_nodes() override {
    std::vector<std::pair<std::string, Json>> out;
    auto& s = stmt("SELECT pool_key, doc FROM nodes ORDER BY pool_key, id");
    while (s.step()) out.emplace_back(s.text(0), Json::parse(s.text(1)));
    s.reset();
    return out;
  }

  void put_job(const std::string& key, const Json& job) override {
    stmt("INSERT OR REPLACE INTO jobs (key, doc) VALUES (?, ?)").bind(1, key).bind(2, job.dump()).run();
    written_.fetch_add(1);
  }
  void delete_job(const std::string& key) override {
    recent_.clear();
    Tx tx(*this);
    stmt("DELETE FROM tasks WHERE job_key = ?").bind(1, key).run();
    stmt("DELETE FROM jobs WHERE key = ?").bind(1, key).run();
    tx.commit();
    written_.fetch_add(1);
  }
  std::vector<Json> load_jobs() override { return load_docs("SELECT doc FROM jobs ORDER BY key"); }

  std::vector<bool> insert_tasks(const std::string& job_key, const std::vector<TaskRow>& rows) override {
    std::vector<bool> inserted;
    Tx tx(*this);
    auto& s = stmt("INSERT INTO tasks (job_key, key, id, seq, state, slots, result, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                   "ON CONFLICT (job_key, key) DO NOTHING");
    for (const TaskRow& r : rows) {
      s.reset();
      s.bind(1, job_key).bind(2, r.key).bind(3, r.json.value("id", r.key)).bind(4, ++seq_).bind(5, r.state)
          .bind(6, r.slots).bind(7, r.result).bind(8, r.json.dump());
      s.run();
      inserted.push_back(db_.changes() > 0);
    }
    tx.commit();
    written_.fetch_add(1);
    return inserted;
  }
  bool task_exists(const std::string& job_key, const std::string& key) override {
    auto& s = stmt("SELECT 1 FROM tasks WHERE job_key = ? AND key = ?");
    s.bind(1, job_key).bind(2, key);
    bool found = s.step();
    s.reset();
    return found;
  }
  std::optional<TaskRow> get_task(const std::string& job_key, const std::string& key) override {
    if (auto it = recent_.find(recent_key(job_key, key)); it != recent_.end()) {
      // Handed out, not copied: a caller that changes the task writes it back
      // with update_task, which keeps it again.
      std::optional<TaskRow> out(std::move(it->second));
      recent_.erase(it);
      return out;
    }
    auto& s = stmt("SELECT key, state, slots, result, doc, usage, expires_us FROM tasks WHERE job_key = ? AND key = ?");
    s.bind(1, job_key).bind(2, key);
    std::optional<TaskRow> out;
    if (s.step()) out = row(s);
    s.reset();
    return out;
  }
  void update_task(const std::string& job_key, const TaskRow& r) override { write_task(job_key, r, TaskRow(r)); }
  void update_task(const std::string& job_key, TaskRow&& r) override { write_task(job_key, r, std::move(r)); }
  // Writes `r`; `keep` (r itself or its copy) becomes the remembered row.
  void write_task(const std::string& job_key, const TaskRow& r, TaskRow&& keep) {
    auto& s = stmt("UPDATE tasks SET state = ?, slots = ?, result = ?, doc = ?, usage = ?, expires_us = ? "
                   "WHERE job_key = ? AND key = ?");
    s.bind(1, r.state).bind(2, r.slots).bind(3, r.result).bind(4, r.json.dump()).bind(5, r.usage.to_text());
    if (r.expires_us > 0) s.bind(6, r.expires_us);
    else s.bind_null(6);
    s.bind(7, job_key).bind(8, r.key);
    try {
      s.run();
    } catch (...) {
      recent_.erase(recent_key(job_key, r.key));
      throw;
    }
    written_.fetch_add(1);
    std::string k = recent_key(job_key, r.key);
    if (db_.changes() == 0) {  // no such task: nothing to remember
      recent_.erase(k);
      return;
    }
    if (recent_.size() >= kRecentRows) recent_.clear();
    recent_.insert_or_assign(std::move(k), std::move(keep));
  }
  void update_tasks(const std::string& job_key, const std::vector<TaskRow>& rows) override {
    try {
      Tx tx(*this);
      for (const TaskRow& r : rows) update_task(job_key, r);
      tx.commit();
    } catch (...) {
      recent_.clear();  // rolled back: the copies of rows written before the failure are not in the table
      throw;
    }
  }
  void delete_task(const std::string& job_key, const std::string& key) override {
    recent_.erase(recent_key(job_key, key));
    stmt("DELETE FROM tasks WHERE job_key = ? AND key = ?").bind(1, job_key).bind(2, key).run();
    written_.fetch_add(1);
  }
  void scan_tasks(const std::string& job_key, const std::string& after_key,
                  const std::optional<std::string>& state,
                  const std::function<bool(TaskRow&)>& visit) override {
    // Each statement is prepared per scan: a visitor may issue other queries.
    auto s = state ? db_.prepare("SELECT key, state, slots, result, doc, usage, expires_us FROM tasks "
                                 "WHERE job_key = ? AND state = ? AND key > ? ORDER BY key")
                   : db_.prepare("SELECT key, state, slots, result, doc, usage, expires_us FROM tasks "
                                 "WHERE job_key = ? AND key > ? ORDER BY key");
    s.bind(1, job_key);
    if (state) s.bind(2, *state).bind(3, after_key);
    else s.bind(2, after_key);
    while (s.step()) {
      TaskRow r = row(s);
      if (!visit(r)) break;
    }
  }
  void scan_task_docs(const std::string& job_key, const std::string& after_key,
                      const std::optional<std::string>& state,
                      const std::function<bool(const std::string&, const std::string&, const std::string&,
                                               const std::string&)>& visit) override {
    auto s = state ? db_.prepare("SELECT key, id, doc, usage FROM tasks WHERE job_key = ? AND state = ? AND key > ? ORDER BY key")
                   : db_.prepare("SELECT key, id, doc, usage FROM tasks WHERE job_key = ? AND key > ? ORDER BY key");
    s.bind(1, job_key);
    if (state) s.bind(2, *state).bind(3, after_key);
    else s.bind(2, after_key);
    while (s.step())
      if (!visit(s.text(0), s.text(1), s.text(2), s.text(3))) break;
  }
  void scan_unfinished(const std::function<void(const std::string&, TaskRow&)>& visit) override {
    // Active tasks need only key and slots: their documents are not parsed, so
    // recovering a million queued tasks stays fast.
    auto s = db_.prepare("SELECT key, state, slots, result, CASE WHEN state = 'active' THEN NULL ELSE doc END, job_key, "
                         "usage, expires_us FROM tasks WHERE state != 'completed' ORDER BY seq");
    while (s.step()) {
      TaskRow r;
      r.key = s.text(0);
      r.state = s.text(1);
      r.slots = int(s.int64(2));
      r.result = s.text(3);
      if (!s.is_null(4)) r.json = Json::parse(s.text(4));
      r.usage = Usage::from_text(s.text(6));
      r.expires_us = s.is_null(7) ? 0 : s.int64(7);
      visit(s.text(5), r);
    }
  }

  void scan_expiring(int64_t until_us, size_t limit,
                     const std::function<void(const std::string&, TaskRow&)>& visit) override {
    auto s = db_.prepare("SELECT key, state, slots, result, doc, usage, expires_us, job_key FROM tasks "
                         "WHERE expires_us IS NOT NULL AND expires_us <= ? ORDER BY expires_us LIMIT ?");
    s.bind(1, until_us).bind(2, int64_t(limit));
    std::vector<std::pair<std::string, TaskRow>> rows;  // visitors may write: finish reading first
    while (s.step()) rows.emplace_back(s.text(7), row(s));
    s.reset();
    for (auto& [job_key, r] : rows) visit(job_key, r);
  }
  std::optional<int64_t> next_expiry() override {
    auto& s = stmt("SELECT MIN(expires_us) FROM tasks WHERE expires_us IS NOT NULL");
    std::optional<int64_t> out;
    if (s.step() && !s.is_null(0)) out = s.int64(0);
    s.reset();
    return out;
  }

  void put_usage(const std::string& scope, const std::string& text) override {
    stmt("INSERT OR REPLACE INTO usage_totals (scope, doc) VALUES (?, ?)").bind(1, scope).bind(2, text).run();
    written_.fetch_add(1);
  }
  void delete_usage(const std::string& scope) override {
    stmt("DELETE FROM usage_totals WHERE scope = ?").bind(1, scope).run();
    written_.fetch_add(1);
  }
  std::vector<std::pair<std::string, std::string>> load_usage() override {
    std::vector<std::pair<std::string, std::string>> out;
    auto s = db_.prepare("SELECT scope, doc FROM usage_totals ORDER BY scope");
    while (s.step()) out.emplace_back(s.text(0), s.text(1));
    return out;
  }

  std::vector<TaskCountRow> count_tasks(const std::string& job_key) override {
    std::vector<TaskCountRow> out;
    auto& s = stmt("SELECT state, result, COUNT(*), SUM(slots) FROM tasks WHERE job_key = ? GROUP BY state, result");
    s.bind(1, job_key);
    while (s.step()) out.push_back({s.text(0), s.text(1), s.int64(2), s.int64(3)});
    s.reset();
    return out;
  }

 private:
  // Group commit: commits are written to the WAL (synchronous=NORMAL, so they
  // survive a process crash at once); sync() flushes the WAL with one
  // fdatasync for every commit made before it started.
  void begin_batch() override {
    if (batch_depth_++ == 0) db_.exec("BEGIN IMMEDIATE");
  }
  void end_batch(bool commit) override {
    if (batch_depth_ == 0 || --batch_depth_ > 0) return;
    if (commit) {
      try {
        db_.exec("COMMIT");
        written_.fetch_add(1);
        return;
      } catch (...) {
        rollback_batch();
        throw;
      }
    }
    rollback_batch();
  }

  void sync() override {
    if (wal_fd_ < 0) return;  // in-memory database
    std::unique_lock lk(sync_mu_);
    uint64_t wanted = written_.load();
    while (synced_ < wanted) {
      if (syncing_) {
        sync_cv_.wait(lk);
        continue;
      }
      syncing_ = true;
      uint64_t target = written_.load();
      lk.unlock();
      int rc = ::fdatasync(wal_fd_);
      lk.lock();
      syncing_ = false;
      sync_cv_.notify_all();
      if (rc != 0) throw sql::SqliteError("fdatasync of the WAL failed");
      synced_ = std::max(synced_, target);
    }
  }

  void rollback_batch() {
    recent_.clear();  // the remembered rows of the batch were never committed
    try {
      db_.exec("ROLLBACK");
    } catch (...) {
    }
  }

  // A transaction of its own outside a batch; inside one, part of it.
  class Tx {
   public:
    explicit Tx(SqliteStore& s) : s_(s) {
      if (s_.batch_depth_ == 0) tx_.emplace(s_.db_);
    }
    void commit() {
      if (tx_) tx_->commit();
    }

   private:
    SqliteStore& s_;
    std::optional<sql::Transaction> tx_;
  };

  static std::string recent_key(const std::string& job_key, const std::string& key) {
    std::string k;
    k.reserve(job_key.size() + 1 + key.size());
    k.append(job_key).push_back('\0');
    k.append(key);
    return k;
  }

  // Cached prepared statement, reset and ready for binding. Keyed by the
  // address of the SQL text: every caller passes a string literal.
  sql::Statement& stmt(const char* sql) {
    auto it = cache_.find(sql);
    if (it == cache_.end()) it = cache_.emplace(sql, db_.prepare(sql)).first;
    it->second.reset();
    return it->second;
  }
  // A task row from (key, state, slots, result, doc, usage, expires_us).
  static TaskRow row(sql::Statement& s) {
    TaskRow r;
    r.key = s.text(0);
    r.state = s.text(1);
    r.slots = int(s.int64(2));
    r.result = s.text(3);
    r.json = Json::parse(s.text(4));
    r.usage = Usage::from_text(s.text(5));
    r.expires_us = s.is_null(6) ? 0 : s.int64(6);
    return r;
  }
  void migrate() {
    std::vector<std::string> have;
    auto s = db_.prepare("PRAGMA table_info(tasks)");
    while (s.step()) have.push_back(s.text(1));
    for (const auto& [column, ddl] : kTaskColumns)
      if (std::find(have.begin(), have.end(), column) == have.end()) db_.exec(ddl);
    db_.exec(kExpiryIndex);
  }
  std::vector<Json> load_docs(const char* sql) {
    std::vector<Json> out;
    auto s = db_.prepare(sql);
    while (s.step()) out.push_back(Json::parse(s.text(0)));
    return out;
  }

  sql::Database db_;
  std::unordered_map<const char*, sql::Statement> cache_;
  int batch_depth_ = 0;
  // Task rows written lately, by recent_key(); cleared when it reaches kRecentRows.
  static constexpr size_t kRecentRows = 512;
  std::unordered_map<std::string, TaskRow> recent_;
  int64_t seq_ = 0;
  int wal_fd_ = -1;
  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  bool syncing_ = false;
  uint64_t synced_ = 0;
  std::atomic<uint64_t> written_{0};  // commits so far (a checkpoint-free counter)
};

}  // namespace

std::unique_ptr<Store> make_sqlite_store(const std::string& path) {
  return std::make_unique<SqliteStore>(path);
}

}  // namespace kiln::batch
