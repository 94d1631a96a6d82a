// Compute node operations: list, get, reboot, disable/enable scheduling.
#include "batch/errors.h"
#include "batch/handlers.h"

namespace kiln::batch::handlers {

void list_nodes(Ctx& c, const std::string& pool) {
  std::vector<std::pair<std::string, Json>> items;
  for (Json& n : c.engine.list_nodes(pool)) items.emplace_back(n["id"], std::move(n));
  write_list(c, "nodes", std::move(items));
}

void get_node(Ctx& c, const std::string& pool, const std::string& node) {
  write_entity(c, "nodes", c.engine.get_node(pool, node));
}

void node_action(Ctx& c, const std::string& pool, const std::string& node, const std::string& action) {
  auto option = [&](const char* name) {
    if (c.req.body.empty()) return std::string();
    Json body = body_json(c);
    return lower(opt_string(body, name, "").value_or(""));
  };
  if (action == "reboot") {
    std::string o = option("nodeRebootOption");
    if (!o.empty() && o != "requeue" && o != "terminate" && o != "taskcompletion" && o != "retaineddata")
      throw errors::invalid_property("nodeRebootOption", o);
    c.engine.reboot_node(pool, node, o.empty() ? "requeue" : o);
    write_empty(c, 202);
  } else if (action == "disablescheduling") {
    std::string o = option("nodeDisableSchedulingOption");
    if (!o.empty() && o != "requeue" && o != "terminate" && o != "taskcompletion")
      throw errors::invalid_property("nodeDisableSchedulingOption", o);
    c.engine.set_node_scheduling(pool, node, false, o.empty() ? "requeue" : o);
    write_empty(c, 200);
  } else if (action == "enablescheduling") {
    c.engine.set_node_scheduling(pool, node, true, "");
    write_empty(c, 200);
  } else if (action == "reimage" || action == "users" || action == "uploadbatchservicelogs" ||
             action == "remoteloginsettings" || action == "rdp") {
    c.engine.get_node(pool, node);  // NodeNotFound first
    throw errors::not_supported("Compute node operation '" + action + "'");
  } else {
    throw errors::resource_not_found();
  }
}

}  // namespace kiln::batch::handlers
