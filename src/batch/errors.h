// Batch's error model: every expected failure of a request is a BatchError
// carrying Azure's HTTP status, error code, message and detail values. Handlers
// throw it; BatchService::handle catches it and writes Azure's OData JSON error
// body, so no expected error reaches the HTTP layer as an exception.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/http_types.h"

namespace kiln::batch {

struct BatchError : std::runtime_error {
  BatchError(int status, std::string code, std::string message,
             std::vector<std::pair<std::string, std::string>> values = {})
      : std::runtime_error(code), status(status), code(std::move(code)),
        message(std::move(message)), values(std::move(values)) {}
  int status;
  std::string code;
  std::string message;
  std::vector<std::pair<std::string, std::string>> values;
};

// Writes `err` as Azure Batch does: JSON body with odata.metadata, code,
// message {lang, value (with RequestId and Time lines)}, values; status; headers.
void write_error(const BatchError& err, const std::string& metadata_base,
                 const std::string& request_id, http::Response& res);

// One factory per Azure error code, so messages stay identical everywhere.
namespace errors {
BatchError authentication_failed(const std::string& detail);
BatchError invalid_request_body(const std::string& reason = "");
BatchError missing_property(const std::string& name);
BatchError invalid_property(const std::string& name, const std::string& value,
                            const std::string& reason = "");
BatchError invalid_query(const std::string& name, const std::string& value,
                         const std::string& reason = "");
BatchError invalid_header(const std::string& name, const std::string& value);
BatchError body_too_large();
BatchError resource_not_found();
BatchError unsupported_verb();
BatchError condition_not_met();
BatchError not_modified();  // 304, written without a body
BatchError pool_not_found();
BatchError pool_exists();
BatchError pool_being_deleted();
BatchError pool_resizing();  // PoolBeingResized: resize/remove nodes need a steady pool
BatchError auto_scale_not_enabled();
BatchError job_not_found();
BatchError job_exists();
BatchError job_being_deleted();
BatchError job_completed();
BatchError job_being_terminated();
BatchError job_not_in_state(const std::string& code, const std::string& message);
BatchError task_not_found();
BatchError task_exists();
BatchError task_completed();
BatchError task_not_completed();  // reactivate of an active/running task
BatchError task_succeeded();      // reactivate of a task that succeeded
BatchError task_files_cleaned_up();  // its directory was removed (retention time passed)
BatchError node_not_found();
BatchError node_not_in_state(const std::string& message);
BatchError file_not_found();
BatchError operation_invalid(const std::string& message);
BatchError not_supported(const std::string& what);
BatchError internal(const std::string& what);
}  // namespace errors

}  // namespace kiln::batch
