// The SQL of every Blob metadata operation over one SQLite connection: the
// schema, a connection with its prepared statements, and SqlOps, the
// MetadataWriter a transaction of SqliteMetadataStore runs its closures with
// (reads go through the store's caches). Internal to sqlite_metadata_store.cc,
// which owns the batching, durability and cache protocol around it.
#pragma once

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "blob/blob_doc.h"
#include "blob/record_docs.h"
#include "blob/sqlite_metadata_store.h"
#include "core/sqlite.h"

namespace kiln::blob {

// A connection with its prepared statements, reused across requests.
struct SqliteMetadataStore::Connection {
  sql::Database db;
  // Keyed by the text's address: every caller passes a string literal, and
  // hashing the address avoids building a std::string per statement use.
  std::unordered_map<const char*, std::unique_ptr<sql::Statement>> cache;
  // Each connection has one user at a time: the writer thread, the checkpoint
  // thread, or the request that borrowed it from the reader pool.
  explicit Connection(const std::string& path) : db(path, sql::Database::Threading::kOneThreadAtATime) {}
  sql::Statement& st(const char* text) {
    auto it = cache.find(text);
    if (it == cache.end())
      it = cache.emplace(text, std::make_unique<sql::Statement>(db.prepare(text))).first;
    return *it->second;
  }
};

}  // namespace kiln::blob

namespace kiln::blob::sqlite_ops {

inline constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS service_props(account TEXT PRIMARY KEY, xml TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS containers(account TEXT NOT NULL, name TEXT NOT NULL, doc TEXT NOT NULL,
  PRIMARY KEY(account, name)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blobs(account TEXT NOT NULL, container TEXT NOT NULL, name TEXT NOT NULL,
  snap TEXT NOT NULL, file TEXT NOT NULL, data BLOB, doc TEXT NOT NULL, blocks TEXT,
  PRIMARY KEY(account, container, name, snap)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blob_data(id INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS blocks(account TEXT NOT NULL, container TEXT NOT NULL, blob TEXT NOT NULL,
  id TEXT NOT NULL, size INTEGER NOT NULL, file TEXT NOT NULL, created INTEGER NOT NULL, cpk TEXT,
  PRIMARY KEY(account, container, blob, id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS blocks_by_created ON blocks(created);
)sql";

// Adds `column` (with its type) to `table` of a store written before it existed.
inline void add_missing_column(sql::Database& db, const char* table, const char* column, const char* type) {
  bool has = false;
  auto info = db.prepare(std::string("PRAGMA table_info(") + table + ")");
  while (info.step()) has = has || info.text(1) == column;
  info.reset();
  if (!has) db.exec(std::string("ALTER TABLE ") + table + " ADD COLUMN " + column + " " + type);
}

// Small blobs' bytes live in blob_data, referenced by blobs.data_id: a row of
// the key-ordered blobs table that spilled onto overflow pages would be read
// whole at every key comparison of a lookup. (Stores from before data_id keep
// their bytes in blobs.data, read as before; no row is written there now.)
// The trigger frees a blob's bytes with its row, also when INSERT OR REPLACE
// replaces it (the writer connection sets recursive_triggers for that).
inline void migrate(sql::Database& db) {
  add_missing_column(db, "blobs", "data_id", "INTEGER");
  // Stores from before customer-provided keys: staged blocks gain the key they were staged with.
  add_missing_column(db, "blocks", "cpk", "TEXT");
  db.exec(R"sql(
CREATE TRIGGER IF NOT EXISTS blob_data_follows_blob AFTER DELETE ON blobs WHEN old.data_id IS NOT NULL
  BEGIN DELETE FROM blob_data WHERE id = old.data_id; END;
)sql");
}

// The base blob sorts after its snapshots (ISO times) and previous versions
// ("v<time>", versions.h) in the key; soft-deleted keys ("~d…") come last.
inline constexpr const char* kBaseSnap = "~";
inline std::string snap_key(const std::string& snapshot) { return snapshot.empty() ? kBaseSnap : snapshot; }
inline std::string snap_from_key(const std::string& key) { return key == kBaseSnap ? "" : key; }

// Upper bound for "starts with prefix" range scans: no valid UTF-8 byte is 0xFF.
inline std::string prefix_end(const std::string& prefix) { return prefix + "\xff"; }

// Resets a cached statement when the scope ends, so it holds no read snapshot.
struct Use {
  sql::Statement& s;
  explicit Use(sql::Statement& st) : s(st) { s.reset(); }
  ~Use() { s.reset(); }
  sql::Statement* operator->() { return &s; }
};

class SqlOps : public MetadataWriter {
 public:
  // Read transactions pass the read caches with the generations taken before
  // the transaction began; writers pass none (they must see their own changes).
  struct Caches {
    SqliteMetadataStore::ContainerCache* containers;
    uint64_t container_generation;
    SqliteMetadataStore::BlobCache* blobs;
    uint64_t blob_generation;
  };
  explicit SqlOps(SqliteMetadataStore::Connection& c, std::optional<Caches> caches = std::nullopt)
      : c_(c), caches_(caches) {}
  // For writers: the committed container records, valid for as long as the
  // writer's batch has changed no container.
  using ContainerCache = SqliteMetadataStore::ContainerCache;
  static SqlOps writer(SqliteMetadataStore::Connection& c, ContainerCache* committed) {
    SqlOps ops(c);
    ops.committed_containers_ = committed;
    return ops;
  }
  // Readers begin their read transaction at their first SQL statement: a
  // request answered from the caches alone runs no SQL at all. Cached records
  // are the current committed ones, so they agree with any snapshot taken later.
  bool in_read_transaction() const { return read_txn_open_; }
  std::vector<std::function<void()>> after;
  std::vector<std::string> dirs;
  bool containers_changed = false;
  std::vector<std::string> blobs_changed;  // blob_cache_key of every blob written or deleted

  std::optional<std::string> get_service_properties(const std::string& account) override {
    Use u(sql("SELECT xml FROM service_props WHERE account=?"));
    u->bind(1, account);
    if (!u->step()) return std::nullopt;
    return u->text(0);
  }
  std::optional<ContainerRecord> get_container(const std::string& account, const std::string& name) override {
    std::string key = account + '/' + name;
    std::optional<ContainerRecord> out;
    if (caches_ && caches_->containers->lookup(key, out)) return out;
    // The writer is the only committer: until its batch changes a container,
    // what it reads is the committed record, and nothing can commit meanwhile.
    ContainerCache* committed = containers_changed ? nullptr : committed_containers_;
    if (committed && committed->lookup(key, out)) return out;
    uint64_t writer_generation = committed ? committed->generation() : 0;
    {
      Use u(sql("SELECT doc FROM containers WHERE account=? AND name=?"));
      u->bind(1, account).bind(2, name);
      if (u->step()) out = container_from(account, name, u->text(0));
    }
    if (caches_) caches_->containers->insert(key, out, caches_->container_generation, 512);
    if (committed) committed->insert(key, out, writer_generation, 512);
    return out;
  }
  std::vector<ContainerRecord> list_containers(const std::string& account, const std::string& prefix,
                                               const std::string& start_at, size_t limit) override {
    Use u(sql("SELECT name, doc FROM containers WHERE account=? AND name>=? AND name>=? AND name<? "
                "ORDER BY name LIMIT ?"));
    u->bind(1, account).bind(2, prefix).bind(3, start_at).bind(4, prefix_end(prefix)).bind(5, int64_t(limit));
    std::vector<ContainerRecord> out;
    while (u->step()) out.push_back(container_from(account, u->text(0), u->text(1)));
    return out;
  }
  std::optional<BlobRecord> get_blob(const std::string& account, const std::string& container,
                                     const std::string& name, const std::string& snapshot,
                                     bool with_blocks) override {
    // Only base blobs without their block lists are cached: the hot GET path.
    bool cacheable = caches_ && snapshot.empty() && !with_blocks;
    std::string key = cacheable ? blob_cache_key(account, container, name) : std::string();
    std::optional<BlobRecord> cached;
    if (cacheable && caches_->blobs->lookup(key, cached)) return cached;
    Use u(sql("SELECT file, doc, data, blocks, data_id FROM blobs WHERE account=? AND container=? AND name=? AND snap=?"));
    u->bind(1, account).bind(2, container).bind(3, name).bind(4, snap_key(snapshot));
    if (!u->step()) return std::nullopt;
    BlobRecord b;
    b.account = account;
    b.container = container;
    b.name = name;
    b.snapshot = snapshot;
    b.file = u->text(0);
    blob_fill(b, u->text(1));
    b.inline_data = u->is_null(4) ? u->text(2) : blob_data(u->int64(4));
    if (with_blocks) b.committed_blocks = blocks_from(u->text(3));
    if (cacheable) caches_->blobs->insert(key, b, caches_->blob_generation, approx_bytes(b));
    return b;
  }
  std::vector<BlobRecord> list_blobs(const std::string& account, const std::string& container,
                                     const ListBlobsQuery& q) override {
    return list_blobs_impl(account, container, q);
  }
  std::vector<BlobRecord> list_blobs_impl(const std::string& account, const std::string& container,
                                          const ListBlobsQuery& q) {
    Use u(sql("SELECT name, snap, file, doc FROM blobs WHERE account=?1 AND container=?2 AND name>=?3 AND name<?4 "
                "AND (name>?5 OR (name=?5 AND snap>=?6)) "
                "AND (snap='~' OR (?7 AND snap<'v') OR (?10 AND substr(snap,1,1)='v') OR (?9 AND substr(snap,1,2)='~d')) "
                "ORDER BY name, snap LIMIT ?8"));
    std::string start_snap = q.start_after_snapshot.empty() ? "" : q.start_after_snapshot;
    u->bind(1, account).bind(2, container).bind(3, q.prefix).bind(4, prefix_end(q.prefix));
    u->bind(5, q.start_after).bind(6, start_snap).bind(7, q.include_snapshots ? 1 : 0).bind(8, int64_t(q.limit));
    u->bind(9, q.include_deleted ? 1 : 0).bind(10, q.include_versions ? 1 : 0);
    std::vector<BlobRecord> out;
    out.reserve(std::min<size_t>(q.limit, 5000));
    while (u->step()) {
      BlobRecord b;
      b.account = account;
      b.container = container;
      b.name = u->text(0);
      b.snapshot = snap_from_key(u->text(1));
      b.file = u->text(2);
      blob_fill(b, u->text(3));
      out.push_back(std::move(b));
    }
    return out;
  }
  std::vector<BlobRecord> deleted_blobs() override {
    Use u(sql("SELECT account, container, name, snap, file, doc FROM blobs WHERE substr(snap,1,2)='~d'"));
    std::vector<BlobRecord> out;
    while (u->step()) {
      BlobRecord b;
      b.account = u->text(0);
      b.container = u->text(1);
      b.name = u->text(2);
      b.snapshot = u->text(3);
      b.file = u->text(4);
      blob_fill(b, u->text(5));
      out.push_back(std::move(b));
    }
    return out;
  }
  bool has_snapshots(const std::string& account, const std::string& container, const std::string& name) override {
    // Snapshot keys are ISO times: before versions' "v…", the base's "~" and deleted "~d…".
    Use u(sql("SELECT 1 FROM blobs WHERE account=? AND container=? AND name=? AND snap<'v' LIMIT 1"));
    u->bind(1, account).bind(2, container).bind(3, name);
    return u->step();
  }
  std::vector<BlockRecord> list_blocks(const std::string& account, const std::string& container,
                                       const std::string& blob) override {
    Use u(sql("SELECT id, size, file, created, cpk FROM blocks WHERE account=? AND container=? AND blob=? "
                "ORDER BY created, id"));
    u->bind(1, account).bind(2, container).bind(3, blob);
    std::vector<BlockRecord> out;
    while (u->step()) out.push_back({u->text(0), u->int64(1), u->text(2), u->int64(3), u->text(4)});
    return out;
  }
  std::vector<std::string> list_staged_blob_names(const std::string& account, const std::string& container,
                                                  const std::string& prefix, const std::string& start_at,
                                                  size_t limit) override {
    Use u(sql("SELECT DISTINCT blob FROM blocks WHERE account=? AND container=? AND blob>=? AND blob>=? "
                "AND blob<? ORDER BY blob LIMIT ?"));
    u->bind(1, account).bind(2, container).bind(3, prefix).bind(4, start_at).bind(5, prefix_end(prefix));
    u->bind(6, int64_t(limit));
    std::vector<std::string> out;
    while (u->step()) out.push_back(u->text(0));
    return out;
  }

  void put_service_properties(const std::string& account, const std::string& xml) override {
    Use u(sql("INSERT OR REPLACE INTO service_props(account, xml) VALUES(?, ?)"));
    u->bind(1, account).bind(2, xml);
    u->run();
  }
  void put_container(const ContainerRecord& c) override {
    containers_changed = true;
    Use u(sql("INSERT OR REPLACE INTO containers(account, name, doc) VALUES(?, ?, ?)"));
    u->bind(1, c.account).bind(2, c.name).bind(3, container_doc(c));
    u->run();
  }
  std::vector<std::string> delete_container(const std::string& account, const std::string& name) override {
    containers_changed = true;
    std::vector<std::string> files;
    {
      Use u(sql("SELECT file FROM blobs WHERE account=? AND container=? AND file<>''"));
      u->bind(1, account).bind(2, name);
      while (u->step()) files.push_back(u->text(0));
    }
    {
      Use u(sql("SELECT file FROM blocks WHERE account=? AND container=?"));
      u->bind(1, account).bind(2, name);
      while (u->step()) files.push_back(u->text(0));
    }
    for (const char* text : {"DELETE FROM blobs WHERE account=? AND container=?",
                             "DELETE FROM blocks WHERE account=? AND container=?",
                             "DELETE FROM containers WHERE account=? AND name=?"}) {
      Use u(sql(text));
      u->bind(1, account).bind(2, name);
      u->run();
    }
    return files;
  }
  void move_container(const std::string& account, const std::string& name, const std::string& to_account,
                      const std::string& to_name) override {
    containers_changed = true;  // forgets every cached container and blob
    for (const char* text : {"UPDATE containers SET account=?3, name=?4 WHERE account=?1 AND name=?2",
                             "UPDATE blobs SET account=?3, container=?4 WHERE account=?1 AND container=?2",
                             "UPDATE blocks SET account=?3, container=?4 WHERE account=?1 AND container=?2"}) {
      Use u(sql(text));
      u->bind(1, account).bind(2, name).bind(3, to_account).bind(4, to_name);
      u->run();
    }
  }
  void put_blob(const BlobRecord& b) override {
    blobs_changed.push_back(blob_cache_key(b.account, b.container, b.name));
    std::optional<int64_t> data_id;
    if (!b.inline_data.empty()) {
      Use d(sql("INSERT INTO blob_data(data) VALUES(?)"));
      d->bind_blob_in_place(1, b.inline_data);  // `b` outlives `d`, which resets on scope exit
      d->run();
      data_id = c_.db.last_insert_rowid();
    }
    Use u(sql("INSERT OR REPLACE INTO blobs(account, container, name, snap, file, data, doc, blocks, data_id) "
                "VALUES(?, ?, ?, ?, ?, NULL, ?, ?, ?)"));
    u->bind(1, b.account).bind(2, b.container).bind(3, b.name).bind(4, snap_key(b.snapshot)).bind(5, b.file);
    u->bind(6, write_blob_doc(b));
    if (b.committed_blocks.empty()) u->bind_null(7); else u->bind(7, blocks_doc(b.committed_blocks));
    u->bind(8, data_id);
    u->run();
  }
  void delete_blob(const std::string& account, const std::string& container, const std::string& name,
                   const std::string& snapshot) override {
    blobs_changed.push_back(blob_cache_key(account, container, name));
    Use u(sql("DELETE FROM blobs WHERE account=? AND container=? AND name=? AND snap=?"));
    u->bind(1, account).bind(2, container).bind(3, name).bind(4, snap_key(snapshot));
    u->run();
  }
  void put_block(const std::string& account, const std::string& container, const std::string& blob,
                 const BlockRecord& block) override {
    Use u(sql("INSERT OR REPLACE INTO blocks(account, container, blob, id, size, file, created, cpk) "
                "VALUES(?, ?, ?, ?, ?, ?, ?, ?)"));
    u->bind(1, account).bind(2, container).bind(3, blob).bind(4, block.id).bind(5, block.size);
    u->bind(6, block.file).bind(7, block.created_us).bind(8, block.customer_key_sha256);
    u->run();
  }
  void delete_blocks(const std::string& account, const std::string& container, const std::string& blob) override {
    Use u(sql("DELETE FROM blocks WHERE account=? AND container=? AND blob=?"));
    u->bind(1, account).bind(2, container).bind(3, blob);
    u->run();
  }
  std::vector<ExpiredBlock> expired_blocks(int64_t created_before_us, size_t limit) override {
    Use u(sql("SELECT account, container, blob, id, file FROM blocks WHERE created<? LIMIT ?"));
    u->bind(1, created_before_us).bind(2, int64_t(limit));
    std::vector<ExpiredBlock> out;
    while (u->step()) out.push_back({u->text(0), u->text(1), u->text(2), u->text(3), u->text(4)});
    return out;
  }
  void delete_block(const ExpiredBlock& b) override {
    Use u(sql("DELETE FROM blocks WHERE account=? AND container=? AND blob=? AND id=?"));
    u->bind(1, b.account).bind(2, b.container).bind(3, b.blob).bind(4, b.id);
    u->run();
  }
  void after_commit(std::function<void()> fn) override { after.push_back(std::move(fn)); }
  void sync_dir_before_commit(const std::string& dir) override { dirs.push_back(dir); }

 private:
  static std::string blob_cache_key(const std::string& account, const std::string& container,
                                    const std::string& name) {
    return account + '/' + container + '/' + name;  // neither account nor container names hold '/'
  }
  static size_t approx_bytes(const BlobRecord& b) {
    size_t n = sizeof(BlobRecord) + b.inline_data.size() + b.name.size() + b.file.size();
    for (const auto& [k, v] : b.metadata) n += k.size() + v.size() + 64;
    return n;
  }

  std::string blob_data(int64_t id) {
    Use u(sql("SELECT data FROM blob_data WHERE id=?"));
    u->bind(1, id);
    if (!u->step()) throw sql::SqliteError("blob_data row " + std::to_string(id) + " is missing");
    return u->text(0);
  }

  // The statement for `text`, in a transaction (readers open theirs here).
  sql::Statement& sql(const char* text) {
    if (caches_ && !read_txn_open_) {
      c_.st("BEGIN").reset();
      c_.st("BEGIN").run();
      read_txn_open_ = true;
    }
    return c_.st(text);
  }

  SqliteMetadataStore::Connection& c_;
  std::optional<Caches> caches_;
  SqliteMetadataStore::ContainerCache* committed_containers_ = nullptr;
  bool read_txn_open_ = false;
};

}  // namespace kiln::blob::sqlite_ops
