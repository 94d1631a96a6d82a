// Task processes a previous server left behind. Tasks die with the server that
// started them (PR_SET_PDEATHSIG), but only the task's first process gets that
// signal: a background grandchild can outlive a `kill -9` of the server. When a
// node agent starts on an existing node root, it kills every process still
// running with that root in its environment (AZ_BATCH_NODE_ROOT_DIR), so a
// requeued task never races its own previous run. Thread-safe.
#pragma once

#include <string>

namespace kiln::node {

// Kills (SIGKILL) every process other than this one whose environment has
// AZ_BATCH_NODE_ROOT_DIR=<node_root>. Returns how many were killed. Processes
// whose environment cannot be read (other users, when not root) are skipped.
int kill_leftover_tasks(const std::string& node_root);

}  // namespace kiln::node
