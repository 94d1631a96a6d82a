// Request signing, retries and error parsing, through the public clients
// against a real HTTP server on a free port.
#include <gtest/gtest.h>

#include "client/test_server.h"
#include "core/crypto.h"
#include "core/shared_key.h"
#include "kiln/batch_client.h"
#include "kiln/blob_client.h"
#include "kiln/errors.h"

namespace kiln::client {
namespace {

using testing::ScriptedServer;

const SharedKeyCredential kDev{std::string(kDevelopmentAccount), std::string(kDevelopmentKey)};

ClientOptions fast_retries(int max_retries = 3) {
  ClientOptions o;
  o.retry.max_retries = max_retries;
  o.retry.initial_delay = std::chrono::milliseconds(1);
  o.retry.max_delay = std::chrono::milliseconds(5);
  return o;
}

std::string expected_signature(const std::string& string_to_sign) {
  return "SharedKey devstoreaccount1:" +
         crypto::base64_encode(crypto::hmac_sha256(*crypto::base64_decode(kDevelopmentKey), string_to_sign));
}

TEST(Signing, BlobRequestCarriesShardKeyOverTheCanonicalString) {
  ScriptedServer server([](const http::Request&, http::Response& res, size_t) { res.status = 201; });
  BlobServiceClient blobs(server.url() + "/devstoreaccount1", kDev);
  blobs.create_container("my-container");
  auto req = server.requests().at(0);
  EXPECT_EQ(req.method, "PUT");
  EXPECT_EQ(req.target, "/devstoreaccount1/my-container?restype=container");
  EXPECT_EQ(req.headers.get("x-ms-version"), "2021-08-06");
  // Written out by hand from Azure's Shared Key rules (Content-Length 0 signs as empty).
  std::string sts = "PUT\n\n\n\n\n\n\n\n\n\n\n\n"
                    "x-ms-client-request-id:" + req.headers.get("x-ms-client-request-id") +
                    "\nx-ms-date:" + req.headers.get("x-ms-date") +
                    "\nx-ms-version:2021-08-06\n/devstoreaccount1/devstoreaccount1/my-container\nrestype:container";
  EXPECT_EQ(req.headers.get("Authorization"), expected_signature(sts));
}

TEST(Signing, BatchRequestSignsContentLengthTypeAndOcpDate) {
  ScriptedServer server([](const http::Request&, http::Response& res, size_t) { res.status = 201; });
  BatchClient batch(server.url(), kDev);
  batch.add_job({.id = "job1", .pool_id = "pool1"});
  auto req = server.requests().at(0);
  EXPECT_EQ(req.target, "/jobs?api-version=2022-10-01.16.0");
  auto body = nlohmann::json::parse(req.body);
  EXPECT_EQ(body["poolInfo"]["poolId"], "pool1");
  std::string sts = "POST\n\n\n" + std::to_string(req.body.size()) +
                    "\n\napplication/json; odata=minimalmetadata; charset=utf-8\n\n\n\n\n\n\n"
                    "ocp-date:" + req.headers.get("ocp-date") +
                    "\n/devstoreaccount1/jobs\napi-version:2022-10-01.16.0";
  EXPECT_EQ(req.headers.get("Authorization"), expected_signature(sts));
}

TEST(Signing, SasClientSendsTokenAndNoAuthorization) {
  ScriptedServer server([](const http::Request&, http::Response& res, size_t) { res.status = 201; });
  BlobServiceClient blobs(server.url() + "/devstoreaccount1", SasToken{"?sv=2021-08-06&sig=abc%3D"});
  blobs.upload("output", "a b.txt", "hello");
  auto req = server.requests().at(0);
  EXPECT_EQ(req.target, "/devstoreaccount1/output/a%20b.txt?sv=2021-08-06&sig=abc%3D");
  EXPECT_FALSE(req.headers.has("Authorization"));
  EXPECT_EQ(req.headers.get("x-ms-blob-type"), "BlockBlob");
  EXPECT_EQ(req.body, "hello");
  EXPECT_THROW(blobs.credential(), Error);
}

TEST(Retry, RetriesServerBusyThenSucceeds) {
  ScriptedServer server([](const http::Request&, http::Response& res, size_t i) { res.status = i < 2 ? 503 : 201; });
  BlobServiceClient blobs(server.url() + "/devstoreaccount1", kDev, fast_retries());
  blobs.create_container("c");
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 3u);
  // Each attempt is signed afresh with a new request id.
  EXPECT_NE(reqs[0].headers.get("x-ms-client-request-id"), reqs[1].headers.get("x-ms-client-request-id"));
}

TEST(Retry, RetriesThrottlingAndTimeouts) {
  ScriptedServer server([](const http::Request&, http::Response& res, size_t i) {
    res.status = i == 0 ? 429 : i == 1 ? 408 : 200;
    res.body = R"({"value":[]})";
  });
  BatchClient batch(server.url(), kDev, fast_retries());
  EXPECT_TRUE(batch.list_pools().empty());
  EXPECT_EQ(server.requests().size(), 3u);
}

TEST(Retry, DoesNotRetryNotImplementedOrClientErrors) {
  for (int status : {501, 505, 400, 404, 409}) {
    ScriptedServer server([status](const http::Request&, http::Response& res, size_t) { res.status = status; });
    BlobServiceClient blobs(server.url() + "/devstoreaccount1", kDev, fast_retries());
    try {
      blobs.delete_container("c");
      ADD_FAILURE() << "status " << status << " did not throw";
    } catch (const ServiceError& e) {
      EXPECT_EQ(e.status(), status);
    }
    EXPECT_EQ(server.requests().size(), 1u) << "status " << status;
  }
}

TEST(Retry, GivesUpAfterMaxRetries) {
  ScriptedServer server([](const http::Request&, http::Response& res, size_t) { res.status = 500; });
  BlobServiceClient blobs(server.url() + "/devstoreaccount1", kDev, fast_retries(2));
  EXPECT_THROW(blobs.create_container("c"), ServiceError);
  EXPECT_EQ(server.requests().size(), 3u);
}

TEST(Retry, ConnectionRefusedBecomesTransportError) {
  std::string url;
  {
    ScriptedServer gone([](const http::Request&, http::Response&, size_t) {});
    url = gone.url();
  }  // stopped: nothing listens there now
  BatchClient batch(url, kDev, fast_retries(1));
  EXPECT_THROW(batch.list_pools(), TransportError);
}

TEST(Retry, PolicyClassifiesStatusesAsAzureDocuments) {
  for (int s : {408, 429, 500, 502, 503, 504, 599}) EXPECT_TRUE(RetryPolicy::is_retryable_status(s)) << s;
  for (int s : {200, 400, 401, 403, 404, 409, 412, 501, 505}) EXPECT_FALSE(RetryPolicy::is_retryable_status(s)) << s;
  RetryPolicy p{.max_retries = 5, .initial_delay = std::chrono::milliseconds(100),
                .max_delay = std::chrono::milliseconds(350)};
  EXPECT_EQ(p.backoff(1).count(), 100);
  EXPECT_EQ(p.backoff(2).count(), 200);
  EXPECT_EQ(p.backoff(3).count(), 350);  // capped
}

TEST(Errors, BlobXmlErrorCarriesCodeMessageAndRequestId) {
  ScriptedServer server([](const http::Request&, http::Response& res, size_t) {
    res.status = 404;
    res.headers.set("x-ms-request-id", "req-1");
    res.headers.set("x-ms-error-code", "ContainerNotFound");
    res.body = "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>ContainerNotFound</Code>"
               "<Message>The specified container does not exist.\nRequestId:req-1\nTime:2026</Message></Error>";
  });
  BlobServiceClient blobs(server.url() + "/devstoreaccount1", kDev);
  try {
    blobs.list_blobs("missing");
    FAIL();
  } catch (const ServiceError& e) {
    EXPECT_EQ(e.status(), 404);
    EXPECT_EQ(e.code(), "ContainerNotFound");
    EXPECT_EQ(e.message(), "The specified container does not exist.");
    EXPECT_EQ(e.request_id(), "req-1");
  }
}

TEST(Errors, BlobHeadErrorUsesErrorCodeHeader) {
  ScriptedServer server([](const http::Request&, http::Response& res, size_t) {
    res.status = 404;
    res.headers.set("x-ms-error-code", "BlobNotFound");
  });
  BlobServiceClient blobs(server.url() + "/devstoreaccount1", kDev);
  try {
    blobs.get_properties("c", "b");
    FAIL();
  } catch (const ServiceError& e) {
    EXPECT_EQ(e.code(), "BlobNotFound");
  }
}

TEST(Errors, BatchODataErrorCarriesCodeAndMessage) {
  ScriptedServer server([](const http::Request&, http::Response& res, size_t) {
    res.status = 409;
    res.headers.set("request-id", "r-9");
    res.body = R"({"odata.metadata":"x","code":"PoolExists","message":{"lang":"en-US",)"
               R"("value":"The specified pool already exists.\nRequestId:r-9\nTime:t"}})";
  });
  BatchClient batch(server.url(), kDev);
  try {
    batch.add_pool({.id = "p"});
    FAIL();
  } catch (const ServiceError& e) {
    EXPECT_EQ(e.status(), 409);
    EXPECT_EQ(e.code(), "PoolExists");
    EXPECT_EQ(e.message(), "The specified pool already exists.");
    EXPECT_EQ(e.request_id(), "r-9");
    EXPECT_STREQ(e.what(), "HTTP 409 PoolExists: The specified pool already exists.");
  }
}

}  // namespace
}  // namespace kiln::client
