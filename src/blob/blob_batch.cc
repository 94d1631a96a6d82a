#include "blob/blob_batch.h"

#include "blob/batch_body.h"
#include "blob/blob_service.h"
#include "blob/errors.h"
#include "blob/handler_common.h"
#include "core/crypto.h"

namespace kiln::blob {
namespace {

// "SharedKey account:signature" (or SharedKeyLite) -> "account".
std::string signing_account(const http::Request& req) {
  std::string auth = req.headers.get("authorization");
  size_t space = auth.find(' '), colon = auth.find(':');
  if (space == std::string::npos || colon == std::string::npos || colon < space) return "";
  return auth.substr(space + 1, colon - space - 1);
}

std::string first_segment(const std::string& path) {
  size_t end = path.find('/', 1);
  return path.substr(1, end == std::string::npos ? std::string::npos : end - 1);
}

bool is_batch(const http::Request& req) { return req.method == "POST" && req.query_param("comp") == "batch"; }

}  // namespace

void address_batch(http::Request& req, const AccountRegistry& accounts) {
  if (!is_batch(req) || req.path.empty()) return;
  RequestContext ctx;
  if (!parse_location(req, ctx) || ctx.host_style || accounts.find(ctx.account)) return;
  std::string account = signing_account(req);
  if (!accounts.find(account)) account = accounts.all().empty() ? "" : accounts.all().front().name;
  if (!account.empty()) req.path = "/" + account + req.path;
}

void BlobService::run_batch(Call& c) {
  if (c.req.body.size() > kMaxBatchBodyBytes) throw err::request_body_too_large();
  std::string content_type = c.req.headers.get("content-type");
  std::string boundary = batch_boundary(content_type);
  if (boundary.empty()) throw err::invalid_header_value("Content-Type", content_type);
  auto parts = parse_batch_body(c.req.body, boundary);
  // Every sub-request is checked before any runs: a batch refused changes nothing.
  const std::string account_prefix = "/" + c.ctx.account + (c.ctx.secondary ? "-secondary" : "");
  std::string kind;
  for (auto& part : parts) {
    http::Request& sub = part.request;
    sub.remote_address = c.req.remote_address;
    sub.secure = c.req.secure;
    // Sub-requests name "/container/blob": routed within the batch's account.
    if (first_segment(sub.path) != account_prefix.substr(1)) sub.path = account_prefix + sub.path;
    RequestContext where;
    parse_location(sub, where);
    std::string this_kind = sub.method == "DELETE" && !sub.has_query("comp") ? "delete"
                            : sub.method == "PUT" && sub.query_param("comp") == "tier" ? "tier" : "";
    if (this_kind.empty() || where.blob.empty()) {
      throw AzureError(400, "InvalidInput", "A batch may hold only Delete Blob or Set Blob Tier requests.");
    }
    if (!kind.empty() && kind != this_kind) {
      throw AzureError(400, "AllBatchSubRequestsShouldBeSameApi", "All batch subrequests should be the same api.");
    }
    kind = this_kind;
    if (c.ctx.op == Operation::kContainerBatch && where.container != c.ctx.container) {
      throw AzureError(400, "InvalidInput", "A container's batch may only address blobs in that container.");
    }
  }
  const std::string out = "batchresponse_" + crypto::uuid4();
  std::string body;
  for (auto& part : parts) {
    http::Response res;
    handle(part.request, res);  // authorized, run and answered as if sent alone
    append_batch_response(body, out, part.content_id, res);
  }
  close_batch_response(body, out);
  c.res.status = 202;
  c.res.body = std::move(body);
  c.res.headers.set("Content-Type", "multipart/mixed; boundary=" + out);
}

}  // namespace kiln::blob
