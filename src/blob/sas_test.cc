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
