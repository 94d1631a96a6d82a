#include "client/pipeline.h"

#include <random>
#include <thread>

#include "core/crypto.h"
#include "core/time_format.h"
#include "core/url.h"
#include "kiln/blob_client.h"
#include "kiln/batch_client.h"

namespace kiln::client::detail {

Pipeline::Pipeline(shared_key::Service service, SharedKeyCredential credential, ClientOptions options)
    : service_(service),
      credential_(std::move(credential)),
      options_(options),
      http_(http::ClientOptions{options.ca_file, options.verify_tls, options.timeout_ms}) {}

Pipeline::Pipeline(shared_key::Service service, std::string sas_token, ClientOptions options)
    : service_(service),
      sas_token_(std::move(sas_token)),
      options_(options),
      http_(http::ClientOptions{options.ca_file, options.verify_tls, options.timeout_ms}) {
  if (!sas_token_.empty() && sas_token_.front() == '?') sas_token_.erase(0, 1);
}

const SharedKeyCredential& Pipeline::credential() const {
  if (!credential_) throw Error("this client is authorised by a SAS token and holds no account key");
  return *credential_;
}

std::string Pipeline::with_sas(const std::string& url) const {
  if (sas_token_.empty()) return url;
  return url + (url.find('?') == std::string::npos ? "?" : "&") + sas_token_;
}

void Pipeline::sign(std::string_view method, const std::string& url, http::Headers& headers,
                    size_t body_size) const {
  auto parsed = url::parse(url);
  if (!parsed) throw Error("invalid URL: " + url);
  auto query = url::parse_query(parsed->query);
  if (!query) throw Error("invalid query string in URL: " + url);
  std::string date = timefmt::rfc1123(timefmt::now());
  if (service_ == shared_key::Service::kBlob) {
    headers.set("x-ms-date", date);
    headers.set("x-ms-version", kBlobApiVersion);
    headers.set("x-ms-client-request-id", crypto::uuid4());
  } else {
    headers.set("ocp-date", date);
    headers.set("client-request-id", crypto::uuid4());
    headers.set("return-client-request-id", "true");
  }
  // Always explicit, so the signed value is exactly what goes on the wire.
  headers.set("Content-Length", std::to_string(body_size));
  if (!credential_) return;  // SAS: the token in the URL is the authorisation
  shared_key::SignedRequest r{std::string(method), parsed->path, *query, &headers};
  std::string sts = shared_key::string_to_sign(service_, r, credential_->account_name());
  headers.set("Authorization", "SharedKey " + credential_->account_name() + ":" + credential_->sign(sts));
}

ServiceError Pipeline::to_error(const http::ClientResponse& response) const {
  return service_ == shared_key::Service::kBlob ? parse_blob_error(response)
                                                : parse_batch_error(response);
}

http::ClientResponse Pipeline::send(std::string_view method, const std::string& plain_url,
                                    http::Headers headers, std::string_view body) {
  std::lock_guard lock(mutex_);
  const std::string url = with_sas(plain_url);
  for (int attempt = 0;; ++attempt) {
    bool can_retry = attempt < options_.retry.max_retries;
    sign(method, url, headers, body.size());
    http::ClientResponse response;
    try {
      response = http_.send(method, url, headers, body);
    } catch (const http::ClientError& e) {
      if (!can_retry) throw TransportError(e.what());
      wait_before_retry(options_.retry, attempt + 1, nullptr);
      continue;
    }
    if (response.status < 400) return response;
    if (can_retry && RetryPolicy::is_retryable_status(response.status)) {
      wait_before_retry(options_.retry, attempt + 1, &response.headers);
      continue;
    }
    throw to_error(response);
  }
}

void wait_before_retry(const RetryPolicy& policy, int attempt, const http::Headers* response_headers) {
  auto delay = policy.backoff(attempt);
  thread_local std::mt19937 rng(std::random_device{}());
  delay += std::chrono::milliseconds(
      std::uniform_int_distribution<long>(0, std::max<long>(0, long(delay.count() / 5)))(rng));
  if (response_headers) {
    std::string after = response_headers->get("Retry-After");
    char* end = nullptr;
    long seconds = after.empty() ? 0 : std::strtol(after.c_str(), &end, 10);
    if (seconds > 0 && end && *end == '\0') {
      auto asked = std::chrono::milliseconds(std::min(seconds, 60L) * 1000);
      if (asked > delay) delay = asked;
    }
  }
  std::this_thread::sleep_for(delay);
}

}  // namespace kiln::client::detail
