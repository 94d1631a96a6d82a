#include "node/task_environment.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace kiln::node {
namespace {

std::string value_of(const std::vector<std::string>& env, const std::string& name) {
  auto it = std::find_if(env.begin(), env.end(),
                         [&](const std::string& e) { return e.rfind(name + "=", 0) == 0; });
  return it == env.end() ? "<unset>" : it->substr(name.size() + 1);
}

struct Fixture {
  NodeConfig node;
  TaskSpec spec;
  TaskPaths paths;
  RunAs user;
  Fixture() {
    node.account_name = "acct";
    node.pool_id = "pool";
    node.node_id = "node-1";
    node.ca_file = "/data/tls/kiln-dev-cert.pem";
    spec.job_id = "job";
    spec.task_id = "task";
    paths.node_root = "/root/n";
    paths.task_dir = "/root/n/workitems/job/job-1/task";
    paths.working_dir = paths.task_dir + "/wd";
    paths.ca_bundle = "/root/n/volatile/kiln-ca-bundle.pem";
    user.user_name = "_azbatch";
    user.identity = "nonadmin";
  }
};

TEST(TaskEnvironment, TasksTrustKilnsCertificateWhenItServesHttps) {
  Fixture f;
  auto env = build_task_environment(f.node, f.spec, f.paths, f.user);
  EXPECT_EQ(value_of(env, "SSL_CERT_FILE"), f.paths.ca_bundle);
  EXPECT_EQ(value_of(env, "REQUESTS_CA_BUNDLE"), f.paths.ca_bundle);
  EXPECT_EQ(value_of(env, "CURL_CA_BUNDLE"), f.paths.ca_bundle);
  EXPECT_EQ(value_of(env, "NODE_EXTRA_CA_CERTS"), f.node.ca_file);
  EXPECT_EQ(value_of(env, "AZ_BATCH_TASK_WORKING_DIR"), f.paths.working_dir);
}

TEST(TaskEnvironment, UserSettingsOverrideTheBundleButNotBatchVariables) {
  Fixture f;
  f.spec.environment = {{"REQUESTS_CA_BUNDLE", "/mine.pem"}, {"AZ_BATCH_TASK_ID", "spoofed"}};
  auto env = build_task_environment(f.node, f.spec, f.paths, f.user);
  EXPECT_EQ(value_of(env, "REQUESTS_CA_BUNDLE"), "/mine.pem");
  EXPECT_EQ(value_of(env, "AZ_BATCH_TASK_ID"), "task");
}

TEST(TaskEnvironment, PlainHttpServersSetNoBundle) {
  Fixture f;
  f.paths.ca_bundle.clear();
  auto env = build_task_environment(f.node, f.spec, f.paths, f.user);
  EXPECT_EQ(value_of(env, "SSL_CERT_FILE"), "<unset>");
  EXPECT_EQ(value_of(env, "REQUESTS_CA_BUNDLE"), "<unset>");
}

}  // namespace
}  // namespace kiln::node
