// A thin RAII layer over SQLite: one Database per store, prepared statements
// with positional binding. Errors throw SqliteError (a server fault: 500).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace kiln::sql {

struct SqliteError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Statement;

class Database {
 public:
  // How threads may use a connection. kSerialized lets several use it at once
  // (SQLite locks around every call); kOneThreadAtATime skips those locks, for
  // a connection its owner never shares concurrently (e.g. a pooled reader).
  enum class Threading { kSerialized, kOneThreadAtATime };

  // Opens (creating) `path`; ":memory:" for an in-memory database. Enables WAL,
  // foreign keys and synchronous=FULL so a committed transaction survives a crash.
  explicit Database(const std::string& path, Threading threading = Threading::kSerialized);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  void exec(std::string_view sql);  // one or more statements, no results
  Statement prepare(std::string_view sql);
  int64_t last_insert_rowid() const;
  int changes() const;
  sqlite3* handle() { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

// RAII transaction: BEGIN IMMEDIATE on construction, ROLLBACK unless commit().
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  void commit();

 private:
  Database& db_;
  bool done_ = false;
};

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
  ~Statement();
  Statement(Statement&& o) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;

  // Bind by 1-based index. Chainable.
  Statement& bind(int i, int64_t v);
  Statement& bind(int i, int v) { return bind(i, int64_t(v)); }
  Statement& bind(int i, double v);
  Statement& bind(int i, std::string_view v);  // text
  Statement& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  Statement& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
  // Binds the bytes without copying them: they must stay alive and unchanged
  // until reset() (a small blob's data, on the writer's hot path).
  Statement& bind_blob_in_place(int i, std::string_view v);
  Statement& bind_null(int i);
  template <typename T>
  Statement& bind(int i, const std::optional<T>& v) {
    return v ? bind(i, *v) : bind_null(i);
  }

  // Advances; true while a row is available.
  bool step();
  // Runs to completion (for statements without results).
  void run();
  void reset();  // reset and clear bindings for reuse

  bool is_null(int col) const;
  int64_t int64(int col) const;
  double real(int col) const;
  std::string text(int col) const;  // empty for NULL
  std::optional<std::string> opt_text(int col) const;
  std::optional<int64_t> opt_int64(int col) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace kiln::sql
