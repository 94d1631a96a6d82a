// Minimal leveled logging to stderr. KILN_LOG=debug|info|warn|error (default info).
#pragma once

#include <sstream>
#include <string>

namespace kiln::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

bool enabled(Level level);
void write(Level level, const std::string& message);

}  // namespace kiln::log

#define KILN_LOG(level, expr)                                                   \
  do {                                                                          \
    if (::kiln::log::enabled(::kiln::log::Level::level)) {                      \
      std::ostringstream kiln_log_os_;                                          \
      kiln_log_os_ << expr;                                                     \
      ::kiln::log::write(::kiln::log::Level::level, kiln_log_os_.str());        \
    }                                                                           \
  } while (0)
#define LOG_DEBUG(expr) KILN_LOG(kDebug, expr)
#define LOG_INFO(expr) KILN_LOG(kInfo, expr)
#define LOG_WARN(expr) KILN_LOG(kWarn, expr)
#define LOG_ERROR(expr) KILN_LOG(kError, expr)
