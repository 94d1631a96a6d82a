#include "core/log.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "core/time_format.h"

namespace kiln::log {
namespace {

Level threshold() {
  static const Level level = [] {
    const char* v = std::getenv("KILN_LOG");
    if (!v) return Level::kInfo;
    if (!std::strcmp(v, "debug")) return Level::kDebug;
    if (!std::strcmp(v, "warn")) return Level::kWarn;
    if (!std::strcmp(v, "error")) return Level::kError;
    return Level::kInfo;
  }();
  return level;
}

}  // namespace

bool enabled(Level level) { return level >= threshold(); }

void write(Level level, const std::string& message) {
  static std::mutex mu;
  static const char* names[] = {"DEBUG", "INFO", "WARN", "ERROR"};
  std::string line = timefmt::iso8601(timefmt::now(), 3) + " " + names[int(level)] + " " +
                     message + "\n";
  std::lock_guard<std::mutex> lock(mu);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace kiln::log
