// The HTTP pipeline without a network: Shared Key authentication, routing and
// Azure's OData JSON errors.
#include "batch/batch_service.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/shared_key.h"
#include "core/time_format.h"

namespace kiln::batch {
namespace {

class BatchServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    BatchServiceOptions o;
    o.data_dir = std::filesystem::temp_directory_path() / ("kiln-batch-svc-" + std::to_string(getpid()));
    o.in_memory = true;
    o.accounts = &accounts_;
    o.account_url_base = "http://127.0.0.1:10100";
    o.node_factory = [](node::NodeConfig) -> std::unique_ptr<node::NodeAgent> { throw std::runtime_error("no nodes here"); };
    service_ = std::make_unique<BatchService>(std::move(o));
    service_->start();
  }

  http::Response send(const std::string& method, const std::string& path, const std::string& body = "",
                      bool sign = true, const std::string& query = "api-version=2022-10-01.16.0") {
    http::Request req;
    req.method = method;
    req.raw_path = req.path = path;
    req.raw_query = query;
    req.target = path + "?" + query;
    req.query = {{"api-version", "2022-10-01.16.0"}};
    req.body = body;
    req.headers.set("ocp-date", timefmt::rfc1123(timefmt::now()));
    req.headers.set("Content-Type", "application/json; odata=minimalmetadata; charset=utf-8");
    if (!body.empty()) req.headers.set("Content-Length", std::to_string(body.size()));
    req.headers.set("client-request-id", "abc");
    req.headers.set("return-client-request-id", "true");
    if (sign) {
      shared_key::SignedRequest sr{req.method, req.raw_path, req.query, &req.headers};
      std::string sts = shared_key::string_to_sign(shared_key::Service::kBatch, sr, "devstoreaccount1");
      req.headers.set("Authorization", "SharedKey devstoreaccount1:" +
                                           shared_key::sign(accounts_.find("devstoreaccount1")->keys[0], sts));
    }
    http::Response res;
    service_->handle(req, res);
    return res;
  }

  AccountRegistry accounts_;
  std::unique_ptr<BatchService> service_;
};

TEST_F(BatchServiceTest, UnsignedRequestIsAuthenticationFailed) {
  auto res = send("GET", "/pools", "", false);
  EXPECT_EQ(res.status, 403);
  auto body = nlohmann::json::parse(res.body);
  EXPECT_EQ(body["code"], "AuthenticationFailed");
  EXPECT_EQ(body["odata.metadata"],
            "http://127.0.0.1:10100/$metadata#Microsoft.Azure.Batch.Protocol.Entities.Container.errors/@Element");
  EXPECT_NE(body["message"]["value"].get<std::string>().find("RequestId:"), std::string::npos);
  EXPECT_FALSE(res.headers.get("request-id").empty());
  EXPECT_EQ(res.headers.get("client-request-id"), "abc");
}

TEST_F(BatchServiceTest, RoutesAndErrors) {
  auto res = send("GET", "/pools");
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(nlohmann::json::parse(res.body)["value"], nlohmann::json::array());

  res = send("GET", "/pools/nope");
  EXPECT_EQ(res.status, 404);
  EXPECT_EQ(nlohmann::json::parse(res.body)["code"], "PoolNotFound");

  res = send("POST", "/pools", "{oops");
  EXPECT_EQ(res.status, 400);
  EXPECT_EQ(nlohmann::json::parse(res.body)["code"], "InvalidRequestBody");

  res = send("POST", "/jobs", R"({"id":"j","poolInfo":{"poolId":"p"}})");
  EXPECT_EQ(res.status, 201);
  EXPECT_EQ(res.headers.get("DataServiceId"), "http://127.0.0.1:10100/jobs/j");
  EXPECT_FALSE(res.headers.get("ETag").empty());

  res = send("POST", "/jobs/j/tasks", R"({"id":"t","commandLine":"true"})");
  EXPECT_EQ(res.status, 201);
  res = send("GET", "/jobs/J/tasks/T");
  EXPECT_EQ(res.status, 200);
  auto task = nlohmann::json::parse(res.body);
  EXPECT_EQ(task["state"], "active");  // the pool does not exist: it waits
  EXPECT_EQ(task["url"], "http://127.0.0.1:10100/jobs/j/tasks/t");

  res = send("DELETE", "/supportedimages");
  EXPECT_EQ(res.status, 405);
  res = send("GET", "/nothing/here");
  EXPECT_EQ(res.status, 404);
}

}  // namespace
}  // namespace kiln::batch
