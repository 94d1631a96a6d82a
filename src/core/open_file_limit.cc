#include "core/open_file_limit.h"

#include <atomic>

#include "core/log.h"

namespace kiln {
namespace {

rlimit inherited{};
std::atomic<bool> raised{false};

}  // namespace

void raise_open_file_limit() {
  rlimit rl{};
  if (raised.load() || ::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max) return;
  rlimit wanted{rl.rlim_max, rl.rlim_max};
  if (::setrlimit(RLIMIT_NOFILE, &wanted) != 0) {
    LOG_WARN("kiln: cannot raise the open file limit from " << rl.rlim_cur << " to " << rl.rlim_max);
    return;
  }
  inherited = rl;
  raised.store(true);
}

bool inherited_open_file_limit(rlimit& out) {
  if (!raised.load()) return false;
  out = inherited;
  return true;
}

}  // namespace kiln
