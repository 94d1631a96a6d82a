// Fuzzes SAS parsing and verification through the real authorization entry
// point: the input is a query string (and, after a newline, a request path;
// after another, a bearer token). Any input must be accepted or refused with
// an AzureError, never crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include "blob/auth.h"
#include "blob/errors.h"
#include "blob/operation.h"
#include "blob/sas.h"
#include "core/accounts.h"
#include "core/time_format.h"
#include "core/url.h"

using namespace kiln;
using namespace kiln::blob;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const AccountRegistry accounts;
  std::string input(reinterpret_cast<const char*>(data), size);
  size_t nl = input.find('\n');
  std::string query = input.substr(0, nl);
  std::string path = nl == std::string::npos ? "/devstoreaccount1/c/b" : input.substr(nl + 1);
  size_t nl2 = path.find('\n');
  std::string bearer = nl2 == std::string::npos ? "" : path.substr(nl2 + 1);
  if (nl2 != std::string::npos) path.resize(nl2);
  auto parsed = url::parse_query(query);
  if (!parsed) return 0;
  http::Request req;
  req.method = "GET";
  req.raw_path = path;
  req.path = url::decode(path).value_or("/");
  req.query = *parsed;
  req.remote_address = "127.0.0.1";
  req.secure = true;
  if (nl2 != std::string::npos) req.headers.set("Authorization", "Bearer " + bearer);
  if (auto t = parse_sas(req.query)) {
    sas_canonical_resource("devstoreaccount1", "c", "b");
    service_sas_string_to_sign(*t, "/blob/devstoreaccount1/c/b", "");
    account_sas_string_to_sign(*t, "devstoreaccount1");
    ip_in_range(t->sip, "127.0.0.1");
  }
  RequestContext ctx;
  if (!parse_location(req, ctx)) return 0;
  ctx.acct = accounts.find(ctx.account);
  if (!ctx.acct) return 0;
  ctx.now_us = timefmt::to_micros(timefmt::now());
  ctx.op = dispatch(req, !ctx.container.empty(), !ctx.blob.empty());
  if (ctx.op == Operation::kUnknown) ctx.op = Operation::kGetBlob;
  try {
    authorize(req, ctx, [] {
      ContainerRecord c;
      c.policies.push_back({"p1", "2020-01-01T00:00:00Z", "2099-01-01T00:00:00Z", "rl"});
      return std::optional<ContainerRecord>(c);
    }, /*accept_bearer_tokens=*/true);
  } catch (const AzureError&) {
  }
  return 0;
}
