#include "kiln/sas.h"

#include <gtest/gtest.h>

#include "core/time_format.h"
#include "core/url.h"

namespace kiln::client {
namespace {

std::chrono::system_clock::time_point at(const char* iso) {
  return std::chrono::system_clock::time_point(timefmt::parse_iso8601(iso)->time_since_epoch());
}

std::string param(const std::string& query, const std::string& name) {
  auto params = url::parse_query(query);  // keep the optional alive while iterating
  for (const auto& [k, v] : *params)
    if (k == name) return v;
  return "<missing>";
}

const SharedKeyCredential kDev{std::string(kDevelopmentAccount), std::string(kDevelopmentKey)};

// Expected signatures come from azure-storage-blob 12.15's generate_blob_sas /
// generate_container_sas with the same inputs (signed version 2021-12-02).
TEST(Sas, BlobSasMatchesAzureSdk) {
  SasOptions o;
  o.permissions = BlobSasPermissions::read_only();
  o.expiry = at("2030-01-02T03:04:05Z");
  o.version = "2021-12-02";
  std::string sas = generate_blob_sas(kDev, "input", "taskdata1.txt", o);
  EXPECT_EQ(param(sas, "sig"), "42elmD+cpQeAjZq9Rk+NClc87af7wB42hE6/Y83kfng=");
  EXPECT_EQ(param(sas, "sr"), "b");
  EXPECT_EQ(param(sas, "sp"), "r");
  EXPECT_EQ(param(sas, "se"), "2030-01-02T03:04:05Z");
  EXPECT_EQ(param(sas, "sv"), "2021-12-02");
  EXPECT_EQ(param(sas, "st"), "<missing>");
  EXPECT_NE(sas.find("se=2030-01-02T03%3A04%3A05Z"), std::string::npos);  // encoded for a URL
}

TEST(Sas, ContainerSasWithStartAndProtocolMatchesAzureSdk) {
  SasOptions o;
  o.permissions.write = true;
  o.start = at("2029-12-31T00:00:00Z");
  o.expiry = at("2030-01-02T03:04:05Z");
  o.protocol = "https,http";
  o.version = "2021-12-02";
  std::string sas = generate_container_sas(kDev, "output", o);
  EXPECT_EQ(param(sas, "sig"), "8iTkqO6sQQB4Xt5Fv5z5AhNeCVQxD0xZd8kY08soS/I=");
  EXPECT_EQ(param(sas, "sr"), "c");
  EXPECT_EQ(param(sas, "spr"), "https,http");
}

TEST(Sas, StringToSignHasSixteenFieldsInAzureOrder) {
  SasOptions o;
  o.permissions = {.read = true, .write = true, .list = true};
  o.expiry = at("2030-01-01T00:00:00Z");
  o.ip_range = "127.0.0.1";
  o.content_type = "text/plain";
  EXPECT_EQ(sas_string_to_sign("/blob/a/c", "c", o),
            "rwl\n\n2030-01-01T00:00:00Z\n/blob/a/c\n\n127.0.0.1\n\n2021-08-06\nc\n\n\n\n\n\n\ntext/plain");
}

TEST(Sas, PermissionsInCanonicalOrder) {
  BlobSasPermissions p{.read = true, .add = true, .create = true, .write = true, .delete_ = true, .list = true};
  EXPECT_EQ(p.to_string(), "racwdl");
}

}  // namespace
}  // namespace kiln::client
