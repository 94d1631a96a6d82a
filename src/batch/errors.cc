#include "batch/errors.h"

#include <nlohmann/json.hpp>

#include "core/time_format.h"

namespace kiln::batch {

void write_error(const BatchError& err, const std::string& metadata_base,
                 const std::string& request_id, http::Response& res) {
  res.status = err.status;
  res.headers.set("request-id", request_id);
  if (err.status == 304) {
    res.body.clear();
    return;
  }
  nlohmann::json body;
  body["odata.metadata"] =
      metadata_base + "/$metadata#Microsoft.Azure.Batch.Protocol.Entities.Container.errors/@Element";
  body["code"] = err.code;
  body["message"] = {{"lang", "en-US"},
                     {"value", err.message + "\nRequestId:" + request_id +
                                   "\nTime:" + timefmt::iso8601(timefmt::now())}};
  if (!err.values.empty()) {
    nlohmann::json values = nlohmann::json::array();
    for (const auto& [k, v] : err.values) values.push_back({{"key", k}, {"value", v}});
    body["values"] = std::move(values);
  }
  res.headers.set("Content-Type", "application/json;odata=minimalmetadata");
  res.headers.set("DataServiceVersion", "3.0");
  res.body = body.dump();
}

namespace errors {
namespace {
BatchError e(int status, const char* code, const char* message,
             std::vector<std::pair<std::string, std::string>> values = {}) {
  return BatchError(status, code, message, std::move(values));
}
}  // namespace

BatchError authentication_failed(const std::string& detail) {
  return e(403, "AuthenticationFailed",
           "Server failed to authenticate the request. Make sure the value of Authorization "
           "header is correctly formed including the signature.",
           {{"AuthenticationErrorDetail", detail}});
}
BatchError invalid_request_body(const std::string& reason) {
  std::vector<std::pair<std::string, std::string>> v;
  if (!reason.empty()) v.push_back({"Reason", reason});
  return e(400, "InvalidRequestBody", "The specified Request Body is not syntactically valid.",
           std::move(v));
}
BatchError missing_property(const std::string& name) {
  return e(400, "MissingRequiredProperty",
           "A required property was not specified in the request body.",
           {{"PropertyName", name}});
}
BatchError invalid_property(const std::string& name, const std::string& value,
                            const std::string& reason) {
  std::vector<std::pair<std::string, std::string>> v{{"PropertyName", name},
                                                     {"PropertyValue", value}};
  if (!reason.empty()) v.push_back({"Reason", reason});
  return e(400, "InvalidPropertyValue",
           "The value provided for one of the properties in the request body is invalid.",
           std::move(v));
}
BatchError invalid_query(const std::string& name, const std::string& value,
                         const std::string& reason) {
  std::vector<std::pair<std::string, std::string>> v{{"QueryParameterName", name},
                                                     {"QueryParameterValue", value}};
  if (!reason.empty()) v.push_back({"Reason", reason});
  return e(400, "InvalidQueryParameterValue",
           "Value for one of the query parameters specified in the request URI is invalid.",
           std::move(v));
}
BatchError invalid_header(const std::string& name, const std::string& value) {
  return e(400, "InvalidHeaderValue",
           "The value for one of the HTTP headers is not in the correct format.",
           {{"HeaderName", name}, {"HeaderValue", value}});
}
BatchError body_too_large() {
  return e(413, "RequestBodyTooLarge",
           "The request body is too large and exceeds the maximum permissible limit.",
           {{"MaxLimit", "100 tasks or 4194304 bytes"}});
}
BatchError resource_not_found() {
  return e(404, "ResourceNotFound", "The specified resource does not exist.");
}
BatchError unsupported_verb() {
  return e(405, "UnsupportedHttpVerb", "The resource doesn't support the specified HTTP verb.");
}
BatchError condition_not_met() {
  return e(412, "ConditionNotMet",
           "The condition specified using HTTP conditional header(s) is not met.");
}
BatchError not_modified() { return e(304, "NotModified", ""); }
BatchError pool_not_found() { return e(404, "PoolNotFound", "The specified pool does not exist."); }
BatchError pool_exists() { return e(409, "PoolExists", "The specified pool already exists."); }
BatchError pool_being_deleted() {
  return e(409, "PoolBeingDeleted", "The specified pool has been marked for deletion and is being reclaimed.");
}
BatchError pool_resizing() { return e(409, "PoolBeingResized", "The specified pool is being resized."); }
BatchError auto_scale_not_enabled() {
  return e(409, "AutoScaleNotEnabled", "Autoscale is not enabled on the specified pool.");
}
BatchError job_not_found() { return e(404, "JobNotFound", "The specified job does not exist."); }
BatchError job_exists() { return e(409, "JobExists", "The specified job already exists."); }
BatchError job_being_deleted() {
  return e(409, "JobBeingDeleted", "The specified job has been marked for deletion and is being garbage collected.");
}
BatchError job_completed() { return e(409, "JobCompleted", "The specified job is already in a completed state."); }
BatchError job_being_terminated() {
  return e(409, "JobBeingTerminated", "The specified job is already in the process of being terminated.");
}
BatchError job_not_in_state(const std::string& code, const std::string& message) {
  return BatchError(409, code, message);
}
BatchError task_not_found() { return e(404, "TaskNotFound", "The specified task does not exist."); }
BatchError task_exists() { return e(409, "TaskExists", "The specified task already exists."); }
BatchError task_completed() { return e(409, "TaskCompleted", "The specified task is already completed."); }
BatchError task_files_cleaned_up() {
  return e(409, "TaskFilesCleanedup", "The files of the specified task are cleanedup.");
}
BatchError task_not_completed() {
  return e(409, "TaskNotCompleted",
           "The specified task is not in a completed state, and the requested operation can be performed only on "
           "completed tasks.");
}
BatchError task_succeeded() {
  return e(409, "TaskSucceeded",
           "The specified task has already completed successfully, and the requested operation cannot be performed "
           "on successful tasks.");
}
BatchError node_not_found() { return e(404, "NodeNotFound", "The specified node does not exist."); }
BatchError node_not_in_state(const std::string& message) {
  return BatchError(409, "NodeNotInValidState", message);
}
BatchError file_not_found() { return e(404, "FileNotFound", "The specified file does not exist."); }
BatchError operation_invalid(const std::string& message) {
  return BatchError(409, "OperationInvalidForCurrentState", message);
}
BatchError not_supported(const std::string& what) {
  return BatchError(400, "FeatureNotSupported", what + " is not supported by Kiln.");
}
BatchError internal(const std::string& what) {
  return BatchError(500, "InternalError", "Server encountered an internal error. Please try again after some time. (" + what + ")");
}
}  // namespace errors
}  // namespace kiln::batch
