// `kiln node list|show`, in the spirit of `az batch node`.
#include <iostream>

#include "cli/client_context.h"
#include "cli/commands.h"

namespace kiln::cli {

void add_node_commands(CLI::App& app) {
  CLI::App* node = app.add_subcommand("node", "Inspect the compute nodes of a pool");
  node->require_subcommand(1);
  describe_exit_codes(node);
  {
    auto pool_id = std::make_shared<std::string>();
    CLI::App* cmd = node->add_subcommand("list", "List the nodes of a pool");
    auto ctx = add_client_options(cmd);
    cmd->add_option("--pool-id", *pool_id, "Pool id")->required();
    cmd->callback([ctx, pool_id] {
      run_verb(ctx, "node list", [pool_id](ClientContext& c) {
        auto nodes = c.batch_client().list_nodes(*pool_id);
        if (c.json()) {
          nlohmann::json a = nlohmann::json::array();
          for (const auto& n : nodes) a.push_back(n.raw);
          print_json(a);
          return kExitOk;
        }
        std::vector<std::vector<std::string>> rows;
        for (const auto& n : nodes)
          rows.push_back({n.id, n.state, n.vm_size, n.ip_address, std::to_string(n.running_tasks_count),
                          std::to_string(n.total_tasks_run)});
        print_table({"ID", "STATE", "VM SIZE", "IP", "RUNNING", "TASKS RUN"}, rows);
        return kExitOk;
      });
    });
  }
  {
    auto pool_id = std::make_shared<std::string>();
    auto node_id = std::make_shared<std::string>();
    CLI::App* cmd = node->add_subcommand("show", "Show a node");
    auto ctx = add_client_options(cmd);
    cmd->add_option("--pool-id", *pool_id, "Pool id")->required();
    cmd->add_option("--node-id,--id", *node_id, "Node id")->required();
    cmd->callback([ctx, pool_id, node_id] {
      run_verb(ctx, "node show", [pool_id, node_id](ClientContext& c) {
        print_entity(c, c.batch_client().get_node(*pool_id, *node_id).raw);
        return kExitOk;
      });
    });
  }
}

}  // namespace kiln::cli
