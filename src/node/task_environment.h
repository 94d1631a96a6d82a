// The environment a task process starts with: a sane base (PATH, HOME, USER,
// LANG, and the CA bundle variables that OpenSSL, Python requests, curl and
// Node.js read, so tasks trust Kiln's own HTTPS certificate), the user's
// environment settings, then the AZ_BATCH_* variables as
// Azure Batch sets them on Linux nodes (these win over user settings of the
// same name). Pure function, thread-safe.
#pragma once

#include <string>
#include <vector>

#include "node/node_agent.h"
#include "node/task_user.h"

namespace kiln::node {

struct TaskPaths {
  std::string node_root;    // absolute $AZ_BATCH_NODE_ROOT_DIR
  std::string task_dir;     // absolute task directory
  std::string working_dir;  // absolute task working directory
  // CA bundle (system CAs + Kiln's certificate) that tasks trust for HTTPS; empty if none.
  std::string ca_bundle;
};

// Returns "NAME=value" strings, sorted by name, one per name.
std::vector<std::string> build_task_environment(const NodeConfig& node, const TaskSpec& spec,
                                                const TaskPaths& paths, const RunAs& user);

}  // namespace kiln::node
