#include "batch/validation.h"

#include "batch/errors.h"

namespace kiln::batch {
namespace {

void validate_id(const Json& body) {
  std::string id = req_string(body, "id", "");
  if (!valid_id(id))
    throw errors::invalid_property("id", id,
                                   "The id can contain any combination of alphanumeric characters including "
                                   "hyphens and underscores, and cannot contain more than 64 characters");
}

void reject(const Json& body, const char* name) {
  auto it = body.find(name);
  if (it != body.end() && !it->is_null() && !(it->is_boolean() && !it->get<bool>()) &&
      !(it->is_array() && it->empty()))
    throw errors::not_supported(name);
}

void validate_enum(const Json& obj, const char* name, const std::string& path,
                   std::initializer_list<const char*> allowed) {
  auto v = opt_string(obj, name, path);
  if (!v) return;
  for (const char* a : allowed)
    if (lower(*v) == a) return;
  throw errors::invalid_property(path.empty() ? name : path + "." + name, *v);
}

void validate_job_constraints(const Json& body) {
  auto it = body.find("constraints");
  if (it == body.end() || it->is_null()) return;
  if (!it->is_object()) throw errors::invalid_request_body("'constraints' must be an object");
  opt_duration(*it, "maxWallClockTime", "constraints");
  opt_int(*it, "maxTaskRetryCount", "constraints", -1, INT32_MAX);
}

void validate_user_accounts(const Json& body) {
  auto it = body.find("userAccounts");
  if (it == body.end() || it->is_null()) return;
  if (!it->is_array()) throw errors::invalid_request_body("'userAccounts' must be an array");
  for (const Json& a : *it) {
    if (!a.is_object()) throw errors::invalid_request_body("'userAccounts' items must be objects");
    req_string(a, "name", "userAccounts");
    req_string(a, "password", "userAccounts");
    validate_enum(a, "elevationLevel", "userAccounts", {"nonadmin", "admin"});
  }
}

}  // namespace

void validate_pool_add(const Json& body) {
  validate_id(body);
  std::string vm = req_string(body, "vmSize", "");
  const VmSize* size = find_vm_size(vm);
  if (!size) throw errors::invalid_property("vmSize", vm, "The specified VM size is not known to Kiln");
  reject(body, "cloudServiceConfiguration");
  const Json& vmc = require(body, "virtualMachineConfiguration", "");
  if (!vmc.is_object()) throw errors::invalid_request_body("'virtualMachineConfiguration' must be an object");
  const Json& image = require(vmc, "imageReference", "virtualMachineConfiguration");
  if (!image.is_object()) throw errors::invalid_request_body("'imageReference' must be an object");
  std::string sku = req_string(vmc, "nodeAgentSKUId", "virtualMachineConfiguration");
  if (!known_node_agent_sku(sku))
    throw errors::invalid_property("virtualMachineConfiguration.nodeAgentSKUId", sku,
                                   "Kiln runs Linux node agent SKUs (batch.node.ubuntu/debian ...)");
  reject(vmc, "containerConfiguration");
  opt_duration(body, "resizeTimeout", "");
  opt_int(body, "targetDedicatedNodes", "", 0, 10000);
  opt_int(body, "targetLowPriorityNodes", "", 0, 10000);
  reject(body, "enableAutoScale");
  reject(body, "mountConfiguration");
  reject(body, "applicationPackageReferences");
  reject(body, "certificateReferences");
  opt_bool(body, "enableInterNodeCommunication", "");
  opt_int(body, "taskSlotsPerNode", "", 1, std::min(256, 4 * size->cores));
  if (auto it = body.find("taskSchedulingPolicy"); it != body.end() && !it->is_null()) {
    if (!it->is_object()) throw errors::invalid_request_body("'taskSchedulingPolicy' must be an object");
    req_string(*it, "nodeFillType", "taskSchedulingPolicy");
    validate_enum(*it, "nodeFillType", "taskSchedulingPolicy", {"spread", "pack"});
  }
  if (auto it = body.find("startTask"); it != body.end() && !it->is_null()) validate_start_task(*it, "startTask");
  validate_metadata(body, "metadata", "");
  validate_user_accounts(body);
}

void validate_pool_update(const Json& body, bool replace) {
  if (auto it = body.find("startTask"); it != body.end() && !it->is_null()) validate_start_task(*it, "startTask");
  if (replace) {
    require(body, "certificateReferences", "");
    require(body, "applicationPackageReferences", "");
    require(body, "metadata", "");
  }
  validate_metadata(body, "metadata", "");
  reject(body, "certificateReferences");
  reject(body, "applicationPackageReferences");
}

void validate_job_add(const Json& body) {
  validate_id(body);
  const Json& pool_info = require(body, "poolInfo", "");
  if (!pool_info.is_object()) throw errors::invalid_request_body("'poolInfo' must be an object");
  reject(pool_info, "autoPoolSpecification");
  std::string pool_id = req_string(pool_info, "poolId", "poolInfo");
  if (!valid_id(pool_id)) throw errors::invalid_property("poolInfo.poolId", pool_id);
  opt_int(body, "priority", "", -1000, 1000);
  if (auto m = opt_int(body, "maxParallelTasks", "", -1, INT32_MAX); m && *m == 0)
    throw errors::invalid_property("maxParallelTasks", "0");
  validate_job_constraints(body);
  validate_enum(body, "onAllTasksComplete", "", {"noaction", "terminatejob"});
  validate_enum(body, "onTaskFailure", "", {"noaction", "performexitoptionsjobaction"});
  reject(body, "jobManagerTask");
  reject(body, "jobPreparationTask");
  reject(body, "jobReleaseTask");
  reject(body, "usesTaskDependencies");
  validate_environment(body, "commonEnvironmentSettings", "");
  validate_metadata(body, "metadata", "");
}

void validate_job_update(const Json& body, bool replace) {
  if (replace) require(body, "poolInfo", "");
  if (auto it = body.find("poolInfo"); it != body.end() && !it->is_null()) {
    if (!it->is_object()) throw errors::invalid_request_body("'poolInfo' must be an object");
    reject(*it, "autoPoolSpecification");
    req_string(*it, "poolId", "poolInfo");
  }
  opt_int(body, "priority", "", -1000, 1000);
  if (auto m = opt_int(body, "maxParallelTasks", "", -1, INT32_MAX); m && *m == 0)
    throw errors::invalid_property("maxParallelTasks", "0");
  validate_job_constraints(body);
  validate_enum(body, "onAllTasksComplete", "", {"noaction", "terminatejob"});
  validate_metadata(body, "metadata", "");
}

void validate_task_constraints(const Json& obj, const std::string& path) {
  if (!obj.is_object()) throw errors::invalid_request_body("'constraints' must be an object");
  opt_duration(obj, "maxWallClockTime", path);
  opt_duration(obj, "retentionTime", path);
  opt_int(obj, "maxTaskRetryCount", path, -1, INT32_MAX);
}

void validate_task_add(const Json& task) {
  if (!task.is_object()) throw errors::invalid_request_body("each task must be a JSON object");
  validate_id(task);
  req_string(task, "commandLine", "");
  validate_resource_files(task, "resourceFiles", "");
  validate_environment(task, "environmentSettings", "");
  validate_user_identity(task, "");
  if (auto it = task.find("constraints"); it != task.end() && !it->is_null())
    validate_task_constraints(*it, "constraints");
  opt_int(task, "requiredSlots", "", 1, 256);
  reject(task, "containerSettings");
  reject(task, "multiInstanceSettings");
  reject(task, "dependsOn");
  reject(task, "outputFiles");
  reject(task, "exitConditions");
  reject(task, "applicationPackageReferences");
  reject(task, "affinityInfo");
}

}  // namespace kiln::batch
