#include "blob/sqlite_metadata_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <set>
#include <stdexcept>
#include <system_error>

#include "blob/sqlite_ops.h"
#include "core/file_util.h"
#include "core/log.h"
#include "core/sqlite.h"

namespace kiln::blob {

using sqlite_ops::kSchema;
using sqlite_ops::SqlOps;

struct SqliteMetadataStore::Completion {
  std::vector<Pending*> batch;
  std::vector<std::function<void()>> after;
};

struct SqliteMetadataStore::Pending {
  const std::function<void(MetadataWriter&)>* fn;
  // A write_then(): owns its closure, and `then` is called instead of waking anyone.
  std::function<void(MetadataWriter&)> owned_fn;
  std::function<void(std::exception_ptr)> then;
  std::exception_ptr error;
  bool done = false;
  std::unique_ptr<Completion> completion;  // set on a batch's first writer: complete it
  std::mutex mu;  // guards done, completion, and error once the batch is handed over
  std::condition_variable wake;
  uint64_t commit = 0;  // wal_sync_'s number of the commit that holds this write
};

SqliteMetadataStore::SqliteMetadataStore(const std::string& path, bool durable)
    : path_(path), durable_(durable), writer_(std::make_unique<Connection>(path)) {
  writer_->db.exec(kSchema);
  sqlite_ops::migrate(writer_->db);
  writer_->db.exec("PRAGMA busy_timeout=10000; PRAGMA recursive_triggers=ON");
  if (!durable_) writer_->db.exec("PRAGMA synchronous=OFF");
  else open_wal_for_sync();
  // Checkpoints run on a thread of their own, off the writer's path.
  checkpointer_ = std::make_unique<Connection>(path_);
  if (!durable_) checkpointer_->db.exec("PRAGMA synchronous=OFF");
  writer_->db.exec("PRAGMA wal_autocheckpoint=0");
  sqlite3_wal_hook(writer_->db.handle(), &SqliteMetadataStore::on_wal_commit, this);
  checkpoint_thread_ = std::thread([this] { checkpoint_loop(); });
  for (auto& t : completer_threads_) t = std::thread([this] { completer_loop(); });
  writer_thread_ = std::thread([this] { writer_loop(); });
}

// Called by SQLite on the writer thread after each commit, with the WAL's
// length in frames. The checkpoint thread is woken once 1000 frames (SQLite's
// own default) are not yet copied into the database. The WAL restarts from
// its beginning only when a write begins with all of it copied, which a
// checkpoint racing the writer rarely achieves: past a bound the writer
// checkpoints the little that is left itself, so the WAL stays small.
int SqliteMetadataStore::on_wal_commit(void* self, sqlite3* db, const char*, int frames) {
  auto* store = static_cast<SqliteMetadataStore*>(self);
  if (frames >= kWalFramesWriterCheckpoints) {
    int log = 0, copied = 0;
    sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
    store->wal_frames_copied_ = copied;
    return SQLITE_OK;
  }
  int copied = store->wal_frames_copied_.load();
  if (frames < copied) copied = 0;  // the WAL restarted since
  if (frames - copied >= kWalFramesCheckpoint) {
    std::lock_guard<std::mutex> lk(store->checkpoint_mu_);
    store->checkpoint_due_ = true;
    store->checkpoint_wanted_.notify_one();
  }
  return SQLITE_OK;
}

void SqliteMetadataStore::checkpoint_loop() {
  std::unique_lock<std::mutex> lk(checkpoint_mu_);
  while (true) {
    checkpoint_wanted_.wait(lk, [&] { return checkpoint_due_ || stopping_checkpoints_; });
    if (stopping_checkpoints_) return;
    checkpoint_due_ = false;
    lk.unlock();
    // PASSIVE copies what no reader still needs and never blocks the writer;
    // a failure (e.g. disk full) leaves the WAL as it is, to be tried again.
    int log = 0, copied = 0;
    int rc = sqlite3_wal_checkpoint_v2(checkpointer_->db.handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
    if (rc == SQLITE_OK) wal_frames_copied_ = copied;
    if (rc != SQLITE_OK && rc != SQLITE_BUSY)
      LOG_WARN("WAL checkpoint failed: " << sqlite3_errmsg(checkpointer_->db.handle()));
    lk.lock();
  }
}

void SqliteMetadataStore::open_wal_for_sync() {
  // Commits write the WAL without syncing it; write() syncs it with
  // wal_sync_ before acknowledging. NORMAL (not OFF) keeps checkpoints
  // syncing the WAL before copying it and the database before reusing it.
  writer_->db.exec("PRAGMA synchronous=NORMAL");
  // One open file description per sync slot (core/group_sync.h).
  std::string wal = path_ + "-wal";
  for (int& fd : wal_fds_) {
    fd = ::open(wal.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "open " + wal);
  }
  // The WAL's directory entry must be durable too (SQLite's NORMAL mode does not sync it).
  auto slash = path_.rfind('/');
  fs::fsync_dir(slash == std::string::npos ? "." : path_.substr(0, slash));
}

// Runs on whichever writer leads a sync; SQLite keeps the WAL file (same inode)
// for as long as the writer connection is open.
void SqliteMetadataStore::sync_wal(int slot) {
  if (::fdatasync(wal_fds_[slot]) != 0) throw std::system_error(errno, std::generic_category(), "fdatasync WAL");
}

// Waits until every commit up to `seq` is durable; a failed sync becomes
// NotDurable (metadata_store.h).
void SqliteMetadataStore::wait_durable(uint64_t seq) {
  try {
    wal_sync_.wait_durable(seq);
  } catch (const std::exception& e) {
    throw NotDurable(std::string("metadata not durable: ") + e.what());
  }
}

SqliteMetadataStore::~SqliteMetadataStore() {
  {
    std::lock_guard<std::mutex> lk(queue_mu_);
    stopping_ = true;
  }
  queued_.notify_one();
  if (writer_thread_.joinable()) writer_thread_.join();
  {  // the completers finish what the writer handed them, then stop
    std::lock_guard<std::mutex> lk(completions_mu_);
    stopping_completers_ = true;
  }
  completion_queued_.notify_all();
  for (auto& t : completer_threads_)
    if (t.joinable()) t.join();
  {
    std::lock_guard<std::mutex> lk(checkpoint_mu_);
    stopping_checkpoints_ = true;
  }
  checkpoint_wanted_.notify_one();
  if (checkpoint_thread_.joinable()) checkpoint_thread_.join();
  for (int fd : wal_fds_)
    if (fd >= 0) ::close(fd);
}

std::unique_ptr<SqliteMetadataStore::Connection> SqliteMetadataStore::borrow_reader() {
  {
    std::lock_guard<std::mutex> lk(readers_mu_);
    if (!readers_.empty()) {
      auto c = std::move(readers_.back());
      readers_.pop_back();
      return c;
    }
  }
  auto c = std::make_unique<Connection>(path_);
  c->db.exec("PRAGMA busy_timeout=10000");
  return c;
}

void SqliteMetadataStore::return_reader(std::unique_ptr<Connection> c) {
  std::lock_guard<std::mutex> lk(readers_mu_);
  if (readers_.size() < 64) readers_.push_back(std::move(c));
}

void SqliteMetadataStore::read(const std::function<void(MetadataReader&)>& fn) {
  auto c = borrow_reader();
  struct Return {
    SqliteMetadataStore* self;
    std::unique_ptr<Connection>& c;
    ~Return() { self->return_reader(std::move(c)); }
  } ret{this, c};
  SqlOps::Caches caches{&containers_, containers_.generation(), &blobs_, blobs_.generation()};
  // One read transaction (begun at the first SQL statement) so every query in
  // fn sees the same committed state.
  SqlOps ops(*c, caches);
  auto end_read = [&] {
    if (!ops.in_read_transaction()) return;
    c->st("COMMIT").reset();
    c->st("COMMIT").run();
  };
  // Commits become visible before their WAL sync: answer only with data a
  // crash cannot take back — errors included (a 404 may rest on a delete).
  try {
    fn(ops);
  } catch (...) {
    end_read();
    if (durable_) wait_durable(wal_sync_.last_begun());
    throw;
  }
  end_read();
  if (durable_) wait_durable(wal_sync_.last_begun());
}

void SqliteMetadataStore::enqueue(Pending* p) {
  std::lock_guard<std::mutex> q(queue_mu_);
  queue_.push_back(p);
  if (queue_.size() == 1) queued_.notify_one();
}

void SqliteMetadataStore::write_then(std::function<void(MetadataWriter&)> fn,
                                     std::function<void(std::exception_ptr)> then) {
  auto* p = new Pending;  // deleted by complete_batch, after `then`
  p->owned_fn = std::move(fn);
  p->fn = &p->owned_fn;
  p->then = std::move(then);
  enqueue(p);
}

void SqliteMetadataStore::write(const std::function<void(MetadataWriter&)>& fn) {
  Pending p;
  p.fn = &fn;
  enqueue(&p);
  // Each waiter sleeps on its own condition variable and mutex (a batch's
  // release then wakes no convoy on one lock) and is woken once: when its
  // batch is durable, or when it is asked to complete its batch.
  std::unique_lock<std::mutex> lk(p.mu);
  while (!p.done) {
    if (p.completion) {
      auto c = std::move(p.completion);
      lk.unlock();
      complete_batch(*c);
      lk.lock();
    } else {
      p.wake.wait(lk);
    }
  }
  lk.unlock();
  if (p.error) std::rethrow_exception(p.error);
}

// The writer thread: commits everything queued in one transaction, hands the
// batch to its first waiting writer (or to a completer thread, when nobody
// waits) to wait for the sync, and goes on with the next.
void SqliteMetadataStore::writer_loop() {
  std::unique_lock<std::mutex> lk(queue_mu_);
  while (true) {
    queued_.wait(lk, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;
    auto c = std::make_unique<Completion>();
    c->batch.swap(queue_);
    lk.unlock();
    try {
      c->after = run_batch(c->batch);
    } catch (...) {  // e.g. out of memory outside any closure: fail the batch, not the process
      for (Pending* p : c->batch)
        if (!p->error) p->error = std::current_exception();
      try {
        writer_->db.exec("ROLLBACK");
      } catch (...) {  // no transaction was open
      }
    }
    Pending* first = nullptr;
    for (Pending* p : c->batch)
      if (!p->then) {
        first = p;
        break;
      }
    if (first) {
      std::lock_guard<std::mutex> g(first->mu);
      first->completion = std::move(c);
      first->wake.notify_one();
    } else {
      {
        std::lock_guard<std::mutex> g(completions_mu_);
        completions_.push_back(std::move(c));
      }
      completion_queued_.notify_one();  // unlocked: the woken completer need not wait for the lock
    }
    lk.lock();
  }
}

void SqliteMetadataStore::completer_loop() {
  std::unique_lock<std::mutex> lk(completions_mu_);
  while (true) {
    completion_queued_.wait(lk, [&] { return stopping_completers_ || !completions_.empty(); });
    if (completions_.empty()) return;
    auto c = std::move(completions_.front());
    completions_.pop_front();
    lk.unlock();
    complete_batch(*c);
    lk.lock();
  }
}

// Waits for the batch's sync, runs its after-commit actions, releases its writers.
void SqliteMetadataStore::complete_batch(Completion& c) {
  std::exception_ptr not_durable;
  if (durable_) {
    try {
      wait_durable(c.batch.front()->commit);
    } catch (...) {
      not_durable = std::current_exception();
      c.after.clear();
    }
  }
  // E.g. unlinking replaced data files: only once the commit cannot be undone.
  for (auto& f : c.after) {
    try {
      f();
    } catch (...) {
    }
  }
  // Each writer's fields were set by the writer thread before it handed the
  // batch over under first->mu; taking q->mu below passes them on to q.
  for (Pending* q : c.batch) {
    if (q->then) {
      std::unique_ptr<Pending> owned(q);
      if (not_durable && !q->error) q->error = not_durable;
      try {
        q->then(q->error);
      } catch (const std::exception& e) {
        LOG_ERROR("blob: a write's completion failed: " << e.what());
      } catch (...) {
        LOG_ERROR("blob: a write's completion failed");
      }
      continue;
    }
    std::lock_guard<std::mutex> g(q->mu);
    if (not_durable && !q->error) q->error = not_durable;
    q->done = true;
    q->wake.notify_one();  // under q->mu: q may return, and free p, once it is released
  }
}

// Applies the batch's closures in one transaction and commits it without
// syncing; returns the after-commit actions, which must wait for the sync.
std::vector<std::function<void()>> SqliteMetadataStore::run_batch(std::vector<Pending*>& batch) {
  Connection& c = *writer_;
  std::vector<std::function<void()>> after;
  std::set<std::string> dirs;
  bool containers_changed = false;
  std::vector<std::string> blobs_changed;
  auto fail_all = [&](std::exception_ptr e) {
    for (Pending* p : batch)
      if (!p->error) p->error = e;
  };
  // After a failed sync nothing more is committed: it could not be promised.
  if (wal_sync_.failed()) {
    fail_all(std::make_exception_ptr(std::runtime_error("metadata store stopped after a failed WAL sync")));
    return {};
  }
  try {
    c.st("BEGIN IMMEDIATE").reset();
    c.st("BEGIN IMMEDIATE").run();
  } catch (...) {
    fail_all(std::current_exception());
    return {};
  }
  for (Pending* p : batch) {
    SqlOps ops = SqlOps::writer(c, containers_changed ? nullptr : &containers_);
    try {
      c.st("SAVEPOINT one").reset();
      c.st("SAVEPOINT one").run();
      (*p->fn)(ops);
      c.st("RELEASE one").reset();
      c.st("RELEASE one").run();
      for (auto& f : ops.after) after.push_back(std::move(f));
      containers_changed = containers_changed || ops.containers_changed;
      blobs_changed.insert(blobs_changed.end(), ops.blobs_changed.begin(), ops.blobs_changed.end());
      dirs.insert(ops.dirs.begin(), ops.dirs.end());
    } catch (...) {
      p->error = std::current_exception();
      try {
        c.db.exec("ROLLBACK TO one; RELEASE one");
      } catch (...) {
      }
      // SQLite may have rolled the whole transaction back (disk full, I/O
      // error): then every closure of the batch is undone, not just this one.
      if (sqlite3_get_autocommit(c.db.handle())) {
        fail_all(p->error);
        return {};
      }
    }
  }
  // The read caches forget what this commit changes before it lands and take
  // no new records until it has (read_cache.h); all before any acknowledgement.
  bool blobs_changing = containers_changed || !blobs_changed.empty();
  if (containers_changed) containers_.begin_change(nullptr);
  // A changed container may be a deleted one, which takes its blobs along.
  if (blobs_changing) blobs_.begin_change(containers_changed ? nullptr : &blobs_changed);
  // Numbered before COMMIT: a reader may see the commit as soon as it lands.
  uint64_t commit = wal_sync_.begin_commit();
  std::exception_ptr failed;
  try {
    if (durable_)
      for (const auto& d : dirs) fs::fsync_dir(d);
    c.st("COMMIT").reset();
    c.st("COMMIT").run();
  } catch (...) {
    failed = std::current_exception();
    try {
      c.db.exec("ROLLBACK");
    } catch (...) {
    }
  }
  wal_sync_.end_commit(commit);
  if (containers_changed) containers_.end_change();
  if (blobs_changing) blobs_.end_change();
  for (Pending* p : batch) {
    if (failed && !p->error) p->error = failed;
    p->commit = commit;
  }
  if (failed) return {};
  return after;
}

std::vector<std::string> SqliteMetadataStore::all_files() {
  std::vector<std::string> out;
  auto c = borrow_reader();
  for (const char* text : {"SELECT file FROM blobs WHERE file<>''", "SELECT file FROM blocks"}) {
    auto& s = c->st(text);
    s.reset();
    while (s.step()) out.push_back(s.text(0));
    s.reset();
  }
  return_reader(std::move(c));
  return out;
}

}  // namespace kiln::blob
