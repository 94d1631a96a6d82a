// HTTP conditional headers as Azure Blob evaluates them (If-Match,
// If-None-Match, If-Modified-Since, If-Unmodified-Since). Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/http_types.h"

namespace kiln::blob {

struct Conditions {
  std::optional<std::string> if_match;
  std::optional<std::string> if_none_match;
  std::optional<int64_t> if_modified_since_us;
  std::optional<int64_t> if_unmodified_since_us;
  bool any() const { return if_match || if_none_match || if_modified_since_us || if_unmodified_since_us; }
};

// Reads the four headers; `prefix` "x-ms-source-" reads the copy-source variants.
// Unparseable dates are ignored, as HTTP requires.
Conditions parse_conditions(const http::Headers& h, const std::string& prefix = "");

enum class ConditionResult { kPass, kNotModified, kFailed };

// `exists` false: If-Match fails, If-None-Match passes. For reads (GET/HEAD) a
// failed If-None-Match / If-Modified-Since is kNotModified (304), otherwise kFailed (412).
ConditionResult evaluate(const Conditions& c, bool exists, const std::string& etag, int64_t last_modified_us,
                         bool is_read);

// Throws ConditionNotMet (412), or a 304 marker error for reads.
void check_conditions(const Conditions& c, bool exists, const std::string& etag, int64_t last_modified_us,
                      bool is_read);

}  // namespace kiln::blob
