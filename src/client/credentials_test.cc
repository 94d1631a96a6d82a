#include "kiln/credentials.h"

#include <gtest/gtest.h>

#include "core/shared_key.h"
#include "core/url.h"

namespace kiln::client {
namespace {

TEST(Credentials, SignsWithTheDecodedKey) {
  SharedKeyCredential c{std::string(kDevelopmentAccount), std::string(kDevelopmentKey)};
  // Vector computed with Python's hmac/hashlib over the same string.
  EXPECT_EQ(c.sign("GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:Sat, 21 Nov 2026 18:00:00 GMT\n"
                   "x-ms-version:2021-08-06\n/devstoreaccount1/devstoreaccount1/c\ncomp:list\nrestype:container"),
            "+mAmvHkDrZoklMmujxrN/oJQcZTMM1173N+tjDZaVFw=");
}

// The signature azure-batch 13's SharedKeyAuth computes for the same request.
TEST(Credentials, BatchSignatureMatchesAzureBatchSdk) {
  http::Headers h;
  h.set("ocp-date", "Sat, 21 Nov 2026 18:00:00 GMT");
  h.set("Content-Type", "application/json; odata=minimalmetadata; charset=utf-8");
  h.set("client-request-id", "abc");
  h.set("Content-Length", "43");
  auto query = url::parse_query("api-version=2022-10-01.16.0&$filter=state%20eq%20%27active%27");
  shared_key::SignedRequest r{"POST", "/jobs", *query, &h};
  SharedKeyCredential c{std::string(kDevelopmentAccount), std::string(kDevelopmentKey)};
  EXPECT_EQ(c.sign(shared_key::string_to_sign(shared_key::Service::kBatch, r, "devstoreaccount1")),
            "JCy2RPNmFnzQ9VKkQDpIwIvb53a9yugLklic56YSFQk=");
}

TEST(Credentials, RejectsKeyThatIsNotBase64) {
  EXPECT_THROW(SharedKeyCredential("a", "not base64!"), std::invalid_argument);
}

TEST(ConnectionString, ParsesAzuriteStyle) {
  auto cs = ConnectionString::parse(
      "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" + std::string(kDevelopmentKey) +
      ";BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1/;");
  EXPECT_EQ(cs.account_name, "devstoreaccount1");
  EXPECT_EQ(cs.account_key, kDevelopmentKey);  // '=' padding inside the value survives
  EXPECT_EQ(cs.blob_endpoint, "http://127.0.0.1:10000/devstoreaccount1");
}

TEST(ConnectionString, DerivesAzureEndpoint) {
  auto cs = ConnectionString::parse("AccountName=acct;AccountKey=AAAA;EndpointSuffix=core.windows.net");
  EXPECT_EQ(cs.blob_endpoint, "https://acct.blob.core.windows.net");
}

TEST(ConnectionString, DevelopmentStorage) {
  auto cs = ConnectionString::parse("UseDevelopmentStorage=true");
  EXPECT_EQ(cs.account_name, "devstoreaccount1");
  EXPECT_EQ(cs.blob_endpoint, "http://127.0.0.1:10000/devstoreaccount1");
}

TEST(ConnectionString, MissingKeyIsAnError) {
  EXPECT_THROW(ConnectionString::parse("AccountName=acct"), std::invalid_argument);
}

}  // namespace
}  // namespace kiln::client
