#include <algorithm>

#include "kiln/client_options.h"

namespace kiln::client {

bool RetryPolicy::is_retryable_status(int status) {
  if (status == 408 || status == 429) return true;
  return status >= 500 && status != 501 && status != 505;
}

std::chrono::milliseconds RetryPolicy::backoff(int attempt) const {
  if (attempt < 1) attempt = 1;
  auto delay = initial_delay;
  for (int i = 1; i < attempt && delay < max_delay; ++i) delay *= 2;
  return std::min(delay, max_delay);
}

}  // namespace kiln::client
