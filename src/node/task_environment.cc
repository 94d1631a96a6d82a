#include "node/task_environment.h"

#include <map>

namespace kiln::node {

std::vector<std::string> build_task_environment(const NodeConfig& node, const TaskSpec& spec,
                                                const TaskPaths& paths, const RunAs& user) {
  std::map<std::string, std::string> env;
  env["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  // A non-admin account has no home on disk; its working directory is the one
  // place it can surely write.
  env["HOME"] = user.home.empty() ? paths.working_dir : user.home;
  env["USER"] = user.user_name;
  env["LOGNAME"] = user.user_name;
  env["LANG"] = "C.UTF-8";
  if (!paths.ca_bundle.empty()) {
    env["SSL_CERT_FILE"] = paths.ca_bundle;
    env["REQUESTS_CA_BUNDLE"] = paths.ca_bundle;
    env["CURL_CA_BUNDLE"] = paths.ca_bundle;
    env["NODE_EXTRA_CA_CERTS"] = node.ca_file;
  }

  for (const auto& [name, value] : spec.environment) env[name] = value;

  const std::string& root = paths.node_root;
  env["AZ_BATCH_ACCOUNT_NAME"] = node.account_name;
  env["AZ_BATCH_ACCOUNT_URL"] = node.account_url;
  env["AZ_BATCH_POOL_ID"] = node.pool_id;
  env["AZ_BATCH_NODE_ID"] = node.node_id;
  env["AZ_BATCH_NODE_IS_DEDICATED"] = node.dedicated ? "true" : "false";
  env["AZ_BATCH_NODE_ROOT_DIR"] = root;
  env["AZ_BATCH_NODE_SHARED_DIR"] = root + "/shared";
  env["AZ_BATCH_NODE_STARTUP_DIR"] = root + "/startup";
  env["AZ_BATCH_NODE_MOUNTS_DIR"] = root + "/fsmounts";
  env["AZ_BATCH_TASK_DIR"] = paths.task_dir;
  env["AZ_BATCH_TASK_WORKING_DIR"] = paths.working_dir;
  env["AZ_BATCH_CERTIFICATES_DIR"] = paths.task_dir + "/certs";
  env["AZ_BATCH_TASK_USER"] = user.user_name;
  env["AZ_BATCH_TASK_USER_IDENTITY"] = user.identity;
  if (spec.kind == TaskSpec::Kind::kTask) {
    // Azure sets these for every task except the start task.
    env["AZ_BATCH_JOB_ID"] = spec.job_id;
    env["AZ_BATCH_TASK_ID"] = spec.task_id;
  }

  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& [name, value] : env) out.push_back(name + "=" + value);
  return out;
}

}  // namespace kiln::node
