// For unit tests: the Azure error code a call throws ("" when it throws none).
#pragma once

#include <functional>
#include <string>

#include "blob/errors.h"

namespace kiln::blob {

inline std::string error_code_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const AzureError& e) {
    return e.code;
  }
  return "";
}

}  // namespace kiln::blob
