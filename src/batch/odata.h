// OData as the Batch SDK uses it: a $filter expression evaluated against an
// entity's JSON (eq/ne/gt/ge/lt/le, and/or/not, parentheses, startswith/endswith,
// property paths like executionInfo/exitCode, string/number/bool/datetime'…'
// literals), and $select projections. Parsing is pure; compiled filters are
// immutable and safe to share between threads.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace kiln::batch::odata {

class Filter {
 public:
  virtual ~Filter() = default;
  virtual bool matches(const nlohmann::json& entity) const = 0;
  // If the filter is (a conjunction containing) `state eq '<x>'`, returns x, so a
  // store can narrow its scan; matches() still decides.
  virtual std::optional<std::string> required_state() const { return std::nullopt; }
};

// Returns nullptr and sets `error` when the expression is malformed.
std::unique_ptr<Filter> parse_filter(const std::string& text, std::string& error);

// Top-level property names of a $select ("id,state"); empty means everything.
std::vector<std::string> parse_select(const std::string& text);
nlohmann::json apply_select(const nlohmann::json& entity, const std::vector<std::string>& select);

}  // namespace kiln::batch::odata
