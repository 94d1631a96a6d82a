#include "kiln/errors.h"

#include <pugixml.hpp>
#include <nlohmann/json.hpp>

#include "client/pipeline.h"

namespace kiln::client {
namespace {

std::string describe(int status, const std::string& code, const std::string& message) {
  std::string s = "HTTP " + std::to_string(status);
  if (!code.empty()) s += " " + code;
  if (!message.empty()) s += ": " + message;
  return s;
}

// Azure appends "\nRequestId:...\nTime:..." to messages; the request id is kept
// separately, so keep only the sentence.
std::string first_line(std::string s) {
  size_t nl = s.find('\n');
  if (nl != std::string::npos) s.resize(nl);
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

ServiceError::ServiceError(int status, std::string code, std::string message, std::string request_id)
    : Error(describe(status, code, message)),
      status_(status),
      code_(std::move(code)),
      message_(std::move(message)),
      request_id_(std::move(request_id)) {}

namespace detail {

ServiceError parse_blob_error(const http::ClientResponse& response) {
  std::string code = response.headers.get("x-ms-error-code");
  std::string message;
  pugi::xml_document doc;
  if (!response.body.empty() && doc.load_buffer(response.body.data(), response.body.size())) {
    pugi::xml_node error = doc.child("Error");
    if (code.empty()) code = error.child_value("Code");
    message = first_line(error.child_value("Message"));
  }
  return ServiceError(response.status, code, message, response.headers.get("x-ms-request-id"));
}

ServiceError parse_batch_error(const http::ClientResponse& response) {
  std::string code, message;
  auto body = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_object()) {
    if (body.contains("code") && body["code"].is_string()) code = body["code"];
    auto m = body.find("message");
    if (m != body.end()) {
      if (m->is_object() && m->contains("value") && (*m)["value"].is_string())
        message = first_line((*m)["value"]);
      else if (m->is_string())
        message = first_line(*m);
    }
    // BatchErrorDetail values often say which property was wrong; keep the first.
    auto values = body.find("values");
    if (values != body.end() && values->is_array() && !values->empty()) {
      const auto& d = (*values)[0];
      if (d.is_object() && d.contains("key") && d.contains("value"))
        message += " (" + d["key"].get<std::string>() + ": " + d["value"].dump() + ")";
    }
  }
  if (code.empty()) code = response.headers.get("x-ms-error-code");
  std::string request_id = response.headers.get("request-id");
  if (request_id.empty()) request_id = response.headers.get("x-ms-request-id");
  return ServiceError(response.status, code, message, request_id);
}

}  // namespace detail
}  // namespace kiln::client
