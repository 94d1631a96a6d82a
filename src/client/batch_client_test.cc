// BatchClient request shapes: OData options, nextLink paging, task collections.
#include "kiln/batch_client.h"

#include <gtest/gtest.h>

#include "client/test_server.h"
#include "kiln/errors.h"

namespace kiln::client {
namespace {

using testing::ScriptedServer;
using json = nlohmann::json;

const SharedKeyCredential kDev{std::string(kDevelopmentAccount), std::string(kDevelopmentKey)};

TEST(BatchClient, ListFollowsNextLinkAndSendsODataOptions) {
  std::string base;
  ScriptedServer server([&](const http::Request& req, http::Response& res, size_t i) {
    json page = {{"value", json::array({{{"id", "pool" + std::to_string(i)}, {"state", "active"},
                                         {"currentDedicatedNodes", 2}}})}};
    if (i == 0) page["odata.nextLink"] = base + "/pools?api-version=2022-10-01.16.0&$skiptoken=abc";
    res.body = page.dump();
  });
  base = server.url();
  BatchClient batch(server.url(), kDev);
  auto pools = batch.list_pools({.filter = "state eq 'active'", .select = "id,state", .max_results = 1});
  ASSERT_EQ(pools.size(), 2u);
  EXPECT_EQ(pools[1].id, "pool1");
  EXPECT_EQ(pools[0].current_dedicated_nodes, 2);
  auto reqs = server.requests();
  EXPECT_EQ(reqs[0].query_param("$filter"), "state eq 'active'");
  EXPECT_EQ(reqs[0].query_param("$select"), "id,state");
  EXPECT_EQ(reqs[0].query_param("maxresults"), "1");
  EXPECT_EQ(reqs[1].query_param("$skiptoken"), "abc");
}

TEST(BatchClient, AddTasksSendsChunksOfAHundredAndRetriesServerErrors) {
  std::vector<size_t> chunk_sizes;
  bool failed_once = false;
  ScriptedServer server([&](const http::Request& req, http::Response& res, size_t) {
    json body = json::parse(req.body);
    chunk_sizes.push_back(body["value"].size());
    json results = json::array();
    for (const auto& t : body["value"]) {
      std::string id = t["id"];
      bool fail = id == "t7" && !failed_once;
      if (fail) failed_once = true;
      results.push_back({{"taskId", id}, {"status", fail ? "serverError" : "success"}});
    }
    res.body = json{{"value", results}}.dump();
  });
  BatchClient batch(server.url(), kDev);
  std::vector<TaskSpec> tasks;
  for (int i = 0; i < 250; ++i) tasks.push_back({.id = "t" + std::to_string(i), .command_line = "/bin/true"});
  auto results = batch.add_tasks("job", tasks);
  EXPECT_EQ(results.size(), 250u);
  for (const auto& r : results) EXPECT_EQ(r.status, "success");
  EXPECT_EQ(chunk_sizes, (std::vector<size_t>{100, 1, 100, 50}));
  EXPECT_EQ(server.requests()[0].target, "/jobs/job/addtaskcollection?api-version=2022-10-01.16.0");
}

TEST(BatchClient, AddTasksReportsClientErrors) {
  ScriptedServer server([](const http::Request&, http::Response& res, size_t) {
    res.body = R"({"value":[{"taskId":"a","status":"success"},{"taskId":"a","status":"clientError",)"
               R"("error":{"code":"TaskExists","message":{"value":"The specified task already exists."}}}]})";
  });
  BatchClient batch(server.url(), kDev);
  try {
    batch.add_tasks("job", {{.id = "a", .command_line = "x"}, {.id = "a", .command_line = "x"}});
    FAIL();
  } catch (const ServiceError& e) {
    EXPECT_EQ(e.code(), "TaskExists");
  }
}

TEST(BatchClient, ParsesTaskExecutionInfo) {
  ScriptedServer server([](const http::Request&, http::Response& res, size_t) {
    res.body = R"({"id":"t1","state":"completed","commandLine":"/bin/false",)"
               R"("executionInfo":{"exitCode":1,"result":"failure","retryCount":0,)"
               R"("failureInfo":{"category":"usererror","code":"FailureExitCode","message":"exit 1"}},)"
               R"("nodeInfo":{"poolId":"p","nodeId":"n1"}})";
  });
  BatchClient batch(server.url(), kDev);
  Task t = batch.get_task("job", "t1");
  EXPECT_EQ(t.state, "completed");
  EXPECT_EQ(t.execution_info.exit_code, 1);
  EXPECT_EQ(t.execution_info.result, "failure");
  EXPECT_EQ(t.execution_info.failure_code, "FailureExitCode");
  EXPECT_EQ(t.node_id, "n1");
}

TEST(BatchClient, PoolSpecSerialisesLikeTheRestApi) {
  PoolSpec p;
  p.id = "p";
  p.vm_size = "standard_a1_v2";
  p.image_reference = {"canonical", "ubuntuserver", "18.04-lts", "latest"};
  p.node_agent_sku_id = "batch.node.ubuntu 18.04";
  StartTask st;
  st.command_line = "cmd";
  st.resource_files = {{.http_url = "http://x/y?sig=1", .file_path = "y", .file_mode = "0755"}};
  st.auto_user = AutoUser{"pool", "admin"};
  p.start_task = st;
  p.extra = {{"metadata", json::array({{{"name", "k"}, {"value", "v"}}})}};
  json j = to_json(p);
  EXPECT_EQ(j["virtualMachineConfiguration"]["nodeAgentSKUId"], "batch.node.ubuntu 18.04");
  EXPECT_EQ(j["startTask"]["resourceFiles"][0]["fileMode"], "0755");
  EXPECT_EQ(j["startTask"]["userIdentity"]["autoUser"]["elevationLevel"], "admin");
  EXPECT_EQ(j["metadata"][0]["name"], "k");
  EXPECT_FALSE(j.contains("displayName"));
}

}  // namespace
}  // namespace kiln::client
