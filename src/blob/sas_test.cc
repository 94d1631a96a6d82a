#include "blob/sas.h"

#include <gtest/gtest.h>

namespace kiln::blob {
namespace {

TEST(Sas, ParsesOnlyWithSignature) {
  EXPECT_FALSE(parse_sas({{"sv", "2021-12-02"}, {"sp", "r"}}));
  auto t = parse_sas({{"sv", "2021-12-02"}, {"sp", "rw"}, {"sr", "b"}, {"sig", "abc"}, {"se", "2030-01-01"}});
  ASSERT_TRUE(t);
  EXPECT_EQ(t->sp, "rw");
  EXPECT_EQ(t->sr, "b");
  EXPECT_FALSE(t->is_account());
  auto a = parse_sas({{"ss", "b"}, {"srt", "sco"}, {"sig", "x"}});
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->is_account());
}

TEST(Sas, ServiceStringToSignPerVersion) {
  SasToken t;
  t.sp = "r";
  t.se = "2030-01-01T00:00:00Z";
  t.sv = "2021-12-02";
  t.sr = "b";
  std::string res = sas_canonical_resource("acct", "c", "b/x");
  EXPECT_EQ(res, "/blob/acct/c/b/x");
  EXPECT_EQ(*service_sas_string_to_sign(t, res, ""),
            "r\n\n2030-01-01T00:00:00Z\n/blob/acct/c/b/x\n\n\n\n2021-12-02\nb\n\n\n\n\n\n\n");
  t.sv = "2019-02-02";
  EXPECT_EQ(*service_sas_string_to_sign(t, res, ""),
            "r\n\n2030-01-01T00:00:00Z\n/blob/acct/c/b/x\n\n\n\n2019-02-02\nb\n\n\n\n\n\n");
  t.sv = "2012-02-12";
  EXPECT_FALSE(service_sas_string_to_sign(t, res, ""));
}

TEST(Sas, UserDelegationStringToSignPerVersion) {
  auto t = *parse_sas({{"sv", "2018-11-09"}, {"sp", "r"}, {"se", "E"}, {"sr", "b"}, {"skoid", "O"}, {"sktid", "T"},
                       {"skt", "KS"}, {"ske", "KE"}, {"sks", "b"}, {"skv", "KV"}, {"saoid", "A"}, {"suoid", "U"},
                       {"scid", "C"}, {"skdutid", "DT"}, {"sduoid", "DO"}, {"srh", "h1,h2"}, {"srq", "q"},
                       {"sig", "s"}});
  ASSERT_TRUE(t.user_delegation());
  const std::string head = "r\n\nE\n/blob/a/c/b\nO\nT\nKS\nKE\nb\nKV\n";
  auto sts = [&](const std::string& sv, const SignedRequestPart& part = {}) {
    t.sv = sv;
    return *service_sas_string_to_sign(t, "/blob/a/c/b", "", part);
  };
  EXPECT_EQ(sts("2018-11-09"), head + "\n\n2018-11-09\nb\n\n\n\n\n\n");
  EXPECT_EQ(sts("2020-02-10"), head + "A\nU\nC\n\n\n2020-02-10\nb\n\n\n\n\n\n");
  EXPECT_EQ(sts("2021-12-02"), head + "A\nU\nC\n\n\n2021-12-02\nb\n\n\n\n\n\n\n");
  EXPECT_EQ(sts("2025-07-05"), head + "A\nU\nC\nDT\nDO\n\n\n2025-07-05\nb\n\n\n\n\n\n\n");
  // From 2026-04-06 the request's own headers and query parameters the SAS names are signed.
  auto part = sas_signed_request_part(
      t, [](const std::string& h) { return h == "h1" ? std::string("v1") : std::string(); },
      [](const std::string& q) { return q + "-value"; });
  EXPECT_EQ(part.headers, "h1:v1\nh2:\n");
  EXPECT_EQ(part.query, "\nq:q-value");
  EXPECT_EQ(sts("2026-04-06", part),
            head + "A\nU\nC\nDT\nDO\n\n\n2026-04-06\nb\n\n\nh1:v1\nh2:\n\n\nq:q-value\n\n\n\n\n");
  t.sv = "2017-11-09";
  EXPECT_FALSE(service_sas_string_to_sign(t, "/blob/a/c/b", ""));
}

TEST(Sas, AccountStringToSign) {
  SasToken t;
  t.sp = "rl";
  t.ss = "b";
  t.srt = "sco";
  t.se = "2030-01-01";
  t.sv = "2021-12-02";
  EXPECT_EQ(*account_sas_string_to_sign(t, "acct"), "acct\nrl\nb\nsco\n\n2030-01-01\n\n\n2021-12-02\n\n");
}

TEST(Sas, IpRanges) {
  EXPECT_TRUE(ip_in_range("127.0.0.1", "127.0.0.1"));
  EXPECT_TRUE(ip_in_range("10.0.0.0-10.0.0.255", "10.0.0.7"));
  EXPECT_TRUE(ip_in_range("127.0.0.1", "::ffff:127.0.0.1"));
  EXPECT_FALSE(ip_in_range("10.0.0.0-10.0.0.255", "10.0.1.0"));
  EXPECT_FALSE(ip_in_range("garbage", "10.0.0.1"));
  EXPECT_FALSE(ip_in_range("1.2.3.4", "1.2.3"));
  EXPECT_FALSE(ip_in_range("1.2.3.256", "1.2.3.4"));
}

}  // namespace
}  // namespace kiln::blob
