// The Blob service's metadata persistence, behind an interface so handlers do
// not know about SQL. Reads run on a snapshot of committed state; writes run as
// closures inside a transaction that the store may batch with concurrent
// writers' closures (group commit: one durable commit for many requests).
//
// Thread-safety: all methods may be called concurrently from any thread.
#pragma once

#include <exception>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "blob/records.h"

namespace kiln::blob {

class MetadataReader {
 public:
  virtual ~MetadataReader() = default;
  virtual std::optional<std::string> get_service_properties(const std::string& account) = 0;
  virtual std::optional<ContainerRecord> get_container(const std::string& account, const std::string& name) = 0;
  // Containers with `prefix`, name >= start_at, in name order, at most `limit`.
  virtual std::vector<ContainerRecord> list_containers(const std::string& account, const std::string& prefix,
                                                       const std::string& start_at, size_t limit) = 0;
  // `with_blocks` loads committed_blocks (Get Block List, and writers putting the record back).
  virtual std::optional<BlobRecord> get_blob(const std::string& account, const std::string& container,
                                             const std::string& name, const std::string& snapshot,
                                             bool with_blocks = false) = 0;
  // Blobs (and their snapshots when asked) with q.prefix, from (start_after, start_after_snapshot)
  // inclusive, ordered by name, then snapshots oldest first, then the base blob.
  virtual std::vector<BlobRecord> list_blobs(const std::string& account, const std::string& container,
                                             const ListBlobsQuery& q) = 0;
  virtual bool has_snapshots(const std::string& account, const std::string& container,
                             const std::string& name) = 0;
  // Every soft-deleted blob and snapshot (soft_delete.h), without inline bytes.
  virtual std::vector<BlobRecord> deleted_blobs() = 0;
  virtual std::vector<BlockRecord> list_blocks(const std::string& account, const std::string& container,
                                               const std::string& blob) = 0;
  // Names of blobs with staged blocks, with `prefix`, name >= start_at, ordered.
  virtual std::vector<std::string> list_staged_blob_names(const std::string& account, const std::string& container,
                                                          const std::string& prefix, const std::string& start_at,
                                                          size_t limit) = 0;
};

struct ExpiredBlock {
  std::string account, container, blob, id, file;
};

class MetadataWriter : public MetadataReader {
 public:
  virtual void put_service_properties(const std::string& account, const std::string& xml) = 0;
  virtual void put_container(const ContainerRecord& c) = 0;  // insert or replace
  // Deletes the container with its blobs and blocks; returns their data files.
  virtual std::vector<std::string> delete_container(const std::string& account, const std::string& name) = 0;
  // Moves a container with its blobs and blocks to another key (no file changes).
  virtual void move_container(const std::string& account, const std::string& name, const std::string& to_account,
                              const std::string& to_name) = 0;
  virtual void put_blob(const BlobRecord& b) = 0;  // insert or replace (with committed_blocks)
  virtual void delete_blob(const std::string& account, const std::string& container, const std::string& name,
                           const std::string& snapshot) = 0;
  virtual void put_block(const std::string& account, const std::string& container, const std::string& blob,
                         const BlockRecord& block) = 0;  // replaces a block with the same id
  virtual void delete_blocks(const std::string& account, const std::string& container, const std::string& blob) = 0;
  virtual std::vector<ExpiredBlock> expired_blocks(int64_t created_before_us, size_t limit) = 0;
  virtual void delete_block(const ExpiredBlock& b) = 0;
  // Runs after the transaction is durable (e.g. unlinking replaced data files).
  virtual void after_commit(std::function<void()> fn) = 0;
  // Makes `dir` durable (fsync) before the commit, once per batch however many ask.
  virtual void sync_dir_before_commit(const std::string& dir) = 0;
};

// Thrown by MetadataStore::write (and read) when a commit could not be made
// durable: its outcome is unknown — it may or may not survive a crash — so the
// caller must not undo what it references (e.g. unlink its data files; the
// start-up sweep removes files no record references). The store fails from then on.
struct NotDurable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class MetadataStore {
 public:
  virtual ~MetadataStore() = default;
  // Runs `fn` against committed state. Exceptions propagate.
  virtual void read(const std::function<void(MetadataReader&)>& fn) = 0;
  // Runs `fn` in a transaction and returns once it is durably committed. An
  // exception thrown by `fn` undoes only fn's changes and is rethrown here.
  virtual void write(const std::function<void(MetadataWriter&)>& fn) = 0;
  // The same write without a thread waiting on it: returns at once, and `then`
  // runs on a store thread once the write is durable, with nullptr, or once it
  // failed, with fn's exception or the commit's. `then` must not throw or block
  // on the store.
  virtual void write_then(std::function<void(MetadataWriter&)> fn,
                          std::function<void(std::exception_ptr)> then) = 0;
  // All data file names referenced by any blob or block (for the startup sweep).
  virtual std::vector<std::string> all_files() = 0;
};

}  // namespace kiln::blob
