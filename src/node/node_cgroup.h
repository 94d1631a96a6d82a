// Holds a node's task processes to its VM size (cores, memory) with cgroups,
// where the host allows it: a cgroup per node, created beside the server's own
// cgroup, with a CPU quota of `cores` CPUs and a memory limit of the VM size's
// memory shared by every task of the node. Works with cgroup v2 (when the
// server's cgroup can delegate the cpu and memory controllers) and with v1
// hierarchies (memory, cpu); anywhere else — no cgroupfs, read-only, not root —
// create() returns nullptr and tasks run unconfined. Node cgroups are named
// "kiln-<server pid>-..."; empty ones left by a server that died are removed.
//
// A task joins by writing "0" to each cgroup.procs file before it execs (see
// SpawnRequest::join_cgroups), so it and all its descendants are confined from
// their first instruction. With v1 hierarchies a thread that spawns many tasks
// can instead join once (join_thread): its children are then born inside, and
// no task pays a cgroup migration (a costly, serialising write) of its own.
// Immutable after creation; thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace kiln::node {

class NodeCgroup {
 public:
  // `name` must be unique on the machine (e.g. includes the server's pid).
  static std::unique_ptr<NodeCgroup> create(const std::string& name, int cores,
                                            int64_t memory_bytes);
  // Removes the node's cgroup directories (after its processes are gone).
  ~NodeCgroup();
  NodeCgroup(const NodeCgroup&) = delete;
  NodeCgroup& operator=(const NodeCgroup&) = delete;

  // The cgroup.procs files a task writes "0" into to join the node's cgroups.
  const std::vector<std::string>& procs_files() const { return procs_files_; }
  // Moves the calling thread (not its process) into the node's cgroups, so
  // every process it creates from then on starts inside them; the thread's own
  // CPU time then counts against the node's quota. Only cgroup v1 allows a
  // thread its own cgroups: false (nothing moved, or not all) elsewhere, and
  // tasks must join through procs_files().
  bool join_thread() const;
  // The cgroup directories (one for v2, one per controller for v1).
  const std::vector<std::string>& dirs() const { return dirs_; }

 private:
  NodeCgroup() = default;
  std::vector<std::string> dirs_;
  std::vector<std::string> procs_files_;
  bool v1_ = false;
};

}  // namespace kiln::node
