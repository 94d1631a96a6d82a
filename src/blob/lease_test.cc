#include "blob/lease.h"

#include <gtest/gtest.h>

#include "blob/errors.h"

namespace kiln::blob {
namespace {

http::Request lease_req(const std::string& action, const std::string& id = "", const std::string& duration = "") {
  http::Request r;
  r.headers.set("x-ms-lease-action", action);
  if (!id.empty()) r.headers.set("x-ms-lease-id", id);
  if (!duration.empty()) r.headers.set("x-ms-lease-duration", duration);
  return r;
}

std::string code(LeaseRecord& l, const http::Request& r, int64_t now) {
  http::Response res;
  try {
    apply_lease_action(l, r, now, res);
  } catch (const AzureError& e) {
    return e.code;
  }
  return "";
}

TEST(Lease, AcquireExpireRenewRelease) {
  LeaseRecord l;
  http::Response res;
  apply_lease_action(l, lease_req("acquire", "", "15"), 0, res);
  EXPECT_EQ(res.status, 201);
  std::string id = res.headers.get("x-ms-lease-id");
  EXPECT_EQ(effective_lease(l, 1000000).state, "leased");
  EXPECT_EQ(code(l, lease_req("acquire", "", "15"), 1000000), "LeaseAlreadyPresent");
  EXPECT_EQ(effective_lease(l, 16000000).state, "expired");
  EXPECT_EQ(code(l, lease_req("renew", id), 16000000), "");
  EXPECT_EQ(effective_lease(l, 17000000).state, "leased");
  EXPECT_EQ(code(l, lease_req("release", "00000000-0000-0000-0000-000000000000"), 17000000),
            "LeaseIdMismatchWithLeaseOperation");
  EXPECT_EQ(code(l, lease_req("release", id), 17000000), "");
  EXPECT_EQ(l.state, "available");
  EXPECT_EQ(code(l, lease_req("acquire", "", "10"), 0), "InvalidHeaderValue");
}

TEST(Lease, BreakAndAccessChecks) {
  LeaseRecord l;
  http::Response res;
  apply_lease_action(l, lease_req("acquire", "", "-1"), 0, res);
  std::string id = res.headers.get("x-ms-lease-id");
  http::Headers none;
  EXPECT_THROW(check_lease_access(effective_lease(l, 0), none, LeaseTarget::kBlob, true), AzureError);
  EXPECT_NO_THROW(check_lease_access(effective_lease(l, 0), none, LeaseTarget::kBlob, false));
  http::Headers with;
  with.set("x-ms-lease-id", id);
  EXPECT_NO_THROW(check_lease_access(effective_lease(l, 0), with, LeaseTarget::kBlob, true));
  http::Request brk = lease_req("break");
  brk.headers.set("x-ms-lease-break-period", "10");
  http::Response bres;
  apply_lease_action(l, brk, 0, bres);
  EXPECT_EQ(bres.status, 202);
  EXPECT_EQ(effective_lease(l, 5000000).state, "breaking");
  EXPECT_EQ(effective_lease(l, 11000000).state, "broken");
  EXPECT_EQ(code(l, lease_req("renew", id), 11000000), "LeaseIsBrokenAndCannotBeRenewed");
}

}  // namespace
}  // namespace kiln::blob
