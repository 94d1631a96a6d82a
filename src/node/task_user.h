// The Unix account a task runs as. Batch runs admin (elevated) tasks as root
// and non-admin tasks as an unprivileged auto-user; Kiln does the same when the
// server runs as root, using one dedicated system account `_azbatch` (created
// with useradd on first use, `nobody` when that fails) for every non-admin
// identity, pool or task scope, named pool users included. A server that is
// not root cannot switch users: every task runs as the server's own user.
// Admin tasks run as root with the task account's group as their group (Azure's
// admin and non-admin auto-users share a group), so files they create with
// group permissions (resource files default to 0770) stay usable by non-admin
// tasks.
// Thread-safe.
#pragma once

#include <optional>
#include <string>

#include "node/fs_beneath.h"
#include "node/node_agent.h"

namespace kiln::node {

struct RunAs {
  std::optional<Owner> switch_to;  // set: setgid/setuid to this before exec; owns the task dir
  std::string user_name;           // for AZ_BATCH_TASK_USER
  std::string identity;            // for AZ_BATCH_TASK_USER_IDENTITY
  std::string home;                // passwd home; empty when it does not exist
};

// The unprivileged account for non-admin tasks, or nullopt when the server is
// not root (no switching possible). Resolved once per process.
std::optional<Owner> unprivileged_account();

RunAs run_as_for(const UserIdentity& identity);

// Adds search (o+x) permission to each ancestor of `dir` that `owner` could not
// traverse, so a task running as `owner` can reach $AZ_BATCH_NODE_ROOT_DIR by
// absolute path (e.g. when the data dir lives under a 0700 temporary directory).
void ensure_traversable(const std::string& dir, Owner owner);

}  // namespace kiln::node
