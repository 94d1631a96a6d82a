#include "blob/oauth.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "blob/error_code_testing.h"
#include "core/crypto.h"

namespace kiln::blob {
namespace {

constexpr int64_t kNow = 1'800'000'000;  // seconds

std::string base64url(const std::string& bytes) {
  std::string s = crypto::base64_encode(bytes);
  for (char& c : s) {
    if (c == '+') c = '-';
    else if (c == '/') c = '_';
  }
  while (!s.empty() && s.back() == '=') s.pop_back();
  return s;
}

std::string token(nlohmann::json claims) {
  return base64url(R"({"alg":"RS256","typ":"JWT"})") + "." + base64url(claims.dump()) + ".c2ln";
}

nlohmann::json good_claims() {
  return {{"aud", "https://storage.azure.com/"}, {"iss", "https://sts.windows.net/tenant-1/"},
          {"oid", "object-1"}, {"tid", "tenant-1"}, {"nbf", kNow - 60}, {"exp", kNow + 3600}};
}

std::string code_for(const std::string& t) {
  return error_code_of([&] { check_bearer_token(t, "acct", kNow * 1000000); });
}

TEST(BearerToken, AWellFormedStorageTokenNamesItsCaller) {
  BearerIdentity who = check_bearer_token(token(good_claims()), "acct", kNow * 1000000);
  EXPECT_EQ(who.oid, "object-1");
  EXPECT_EQ(who.tid, "tenant-1");
  auto own = good_claims();
  own["aud"] = "https://acct.blob.core.windows.net";  // the account's own endpoint
  own["iss"] = "https://login.microsoftonline.com/tenant-1/v2.0";
  EXPECT_EQ(code_for(token(own)), "");
}

TEST(BearerToken, OtherAudiencesIssuersAndLifetimesAreRefused) {
  auto other = good_claims();
  other["aud"] = "https://management.azure.com/";
  EXPECT_EQ(code_for(token(other)), "InvalidAuthenticationInfo");
  auto issuer = good_claims();
  issuer["iss"] = "https://example.com/";
  EXPECT_EQ(code_for(token(issuer)), "InvalidAuthenticationInfo");
  auto expired = good_claims();
  expired["exp"] = kNow - 3600;
  EXPECT_EQ(code_for(token(expired)), "InvalidAuthenticationInfo");
  auto early = good_claims();
  early["nbf"] = kNow + 3600;
  EXPECT_EQ(code_for(token(early)), "InvalidAuthenticationInfo");
  auto fractional = good_claims();
  fractional["exp"] = 1e300;  // not a whole number of seconds
  EXPECT_EQ(code_for(token(fractional)), "InvalidAuthenticationInfo");
  auto anonymous = good_claims();
  anonymous.erase("oid");
  EXPECT_EQ(code_for(token(anonymous)), "InvalidAuthenticationInfo");
}

TEST(BearerToken, MalformedTokensAreRefused) {
  for (const std::string& t : std::vector<std::string>{"", "abc", "a.b", "a.!!!.c", "a." + base64url("[1,2]") + ".c",
                                                        "a." + base64url("{") + ".c"})
    EXPECT_EQ(code_for(t), "InvalidAuthenticationInfo") << t;
}

TEST(UserDelegationKey, ItsValueDependsOnEveryFieldAndTheAccountKey) {
  UserDelegationKeyFields k{"oid", "tid", "2030-01-01T00:00:00Z", "2030-01-02T00:00:00Z", "b", "2021-12-02"};
  std::string v = user_delegation_key_value("key", k);
  EXPECT_EQ(crypto::base64_decode(v)->size(), 32u);
  EXPECT_EQ(v, user_delegation_key_value("key", k));
  EXPECT_NE(v, user_delegation_key_value("other key", k));
  auto changed = k;
  changed.expiry = "2030-01-03T00:00:00Z";
  EXPECT_NE(v, user_delegation_key_value("key", changed));
}

}  // namespace
}  // namespace kiln::blob
