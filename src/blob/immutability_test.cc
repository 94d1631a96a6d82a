#include "blob/immutability.h"

#include <gtest/gtest.h>

#include "blob/error_code_testing.h"
#include "core/time_format.h"

namespace kiln::blob {
namespace {

constexpr int64_t kNow = 1'795'333'094'000'000;  // 2026-11-22T07:38:14Z
constexpr int64_t kHour = 3'600'000'000;

std::string http_time(int64_t us) { return timefmt::rfc1123(timefmt::from_micros(us)); }

TEST(Immutability, ReadsPolicyAndHoldHeadersAndRefusesBadOnes) {
  http::Headers h;
  EXPECT_FALSE(read_immutability_headers(h, kNow).any());
  h.set("x-ms-immutability-policy-until-date", http_time(kNow + kHour));
  h.set("x-ms-immutability-policy-mode", "Locked");
  h.set("x-ms-legal-hold", "TRUE");
  ImmutabilitySettings s = read_immutability_headers(h, kNow);
  EXPECT_EQ(*s.until_us, kNow + kHour);
  EXPECT_EQ(s.mode, "locked");
  EXPECT_TRUE(*s.legal_hold);
  h.set("x-ms-immutability-policy-mode", "Mutable");  // only the service answers with it
  EXPECT_EQ(error_code_of([&] { read_immutability_headers(h, kNow); }), "InvalidHeaderValue");
  h.erase("x-ms-immutability-policy-mode");
  h.set("x-ms-immutability-policy-until-date", http_time(kNow - kHour));  // past
  EXPECT_EQ(error_code_of([&] { read_immutability_headers(h, kNow); }), "InvalidHeaderValue");
  h.set("x-ms-immutability-policy-until-date", "tomorrow");
  EXPECT_EQ(error_code_of([&] { read_immutability_headers(h, kNow); }), "InvalidHeaderValue");
  h.erase("x-ms-immutability-policy-until-date");
  h.set("x-ms-legal-hold", "yes");
  EXPECT_EQ(error_code_of([&] { read_immutability_headers(h, kNow); }), "InvalidHeaderValue");
  http::Headers mode_alone;
  mode_alone.set("x-ms-immutability-policy-mode", "Unlocked");
  EXPECT_EQ(error_code_of([&] { read_immutability_headers(mode_alone, kNow); }), "MissingRequiredHeader");
}

TEST(Immutability, LockedPoliciesOnlyGrow) {
  BlobRecord b;
  set_immutability_policy(b, kNow + kHour, "unlocked");
  set_immutability_policy(b, kNow + 1, "unlocked");  // unlocked: shortened at will
  delete_immutability_policy(b);
  EXPECT_EQ(b.immutable_until_us, 0);
  set_immutability_policy(b, kNow + kHour, "locked");
  EXPECT_EQ(error_code_of([&] { set_immutability_policy(b, kNow + 1, "locked"); }), "InvalidHeaderValue");
  EXPECT_EQ(error_code_of([&] { set_immutability_policy(b, kNow + 2 * kHour, "unlocked"); }), "InvalidHeaderValue");
  EXPECT_EQ(error_code_of([&] { delete_immutability_policy(b); }), "ImmutabilityPolicyDeleteOnLockedPolicy");
  set_immutability_policy(b, kNow + 2 * kHour, "locked");
  EXPECT_EQ(b.immutable_until_us, kNow + 2 * kHour);
}

TEST(Immutability, HoldsAndPoliciesDecideWhatMayChange) {
  BlobRecord b;
  EXPECT_EQ(error_code_of([&] { require_deletable(b, kNow); }), "");
  EXPECT_EQ(error_code_of([&] { require_unprotected(b); }), "");
  set_immutability_policy(b, kNow + kHour, "unlocked");
  EXPECT_EQ(error_code_of([&] { require_deletable(b, kNow); }), "BlobImmutableDueToPolicy");
  EXPECT_EQ(error_code_of([&] { require_deletable(b, kNow + 2 * kHour); }), "");  // expired: deletable
  EXPECT_EQ(error_code_of([&] { require_unprotected(b); }), "BlobImmutableDueToPolicy");  // never rewritten
  b.legal_hold = true;  // a hold is named first
  EXPECT_EQ(error_code_of([&] { require_deletable(b, kNow + 2 * kHour); }), "BlobImmutableDueToLegalHold");
  // A new version starts with what its write sets, nothing else.
  start_immutability(b, ImmutabilitySettings{});
  EXPECT_EQ(b.immutable_until_us, 0);
  EXPECT_FALSE(b.legal_hold);
  EXPECT_EQ(b.immutability_mode, "");
}

}  // namespace
}  // namespace kiln::blob
