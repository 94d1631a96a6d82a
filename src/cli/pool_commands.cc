// `kiln pool create|list|show|resize|delete`, in the spirit of `az batch pool`.
#include <fstream>
#include <iostream>

#include "cli/client_context.h"
#include "cli/commands.h"

namespace kiln::cli {
namespace {

using client::BatchClient;
using client::PoolSpec;

struct CreateOptions {
  PoolSpec spec;
  std::string image;  // publisher:offer:sku[:version]
  std::string start_task;
  bool start_task_wait = true;
  std::string json_file;
};

// Parses az's image form "publisher:offer:sku[:version]".
bool parse_image(const std::string& text, client::ImageReference& out) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t colon; (colon = text.find(':', start)) != std::string::npos; start = colon + 1)
    parts.push_back(text.substr(start, colon - start));
  parts.push_back(text.substr(start));
  if (parts.size() < 3 || parts.size() > 4) return false;
  out = {parts[0], parts[1], parts[2], parts.size() == 4 ? parts[3] : "latest"};
  return true;
}

// Without --image: the first verified Linux image the service lists (as SDK samples do).
void default_image(BatchClient& batch, PoolSpec& spec) {
  for (const auto& image : batch.list_supported_images()) {
    if (image.os_type != "linux") continue;
    if (spec.node_agent_sku_id.empty() || spec.node_agent_sku_id == image.node_agent_sku_id) {
      spec.image_reference = image.image_reference;
      spec.node_agent_sku_id = image.node_agent_sku_id;
      return;
    }
  }
  throw std::invalid_argument("the service lists no Linux image; give one with --image and --node-agent-sku-id");
}

int create(ClientContext& ctx, CreateOptions& o) {
  BatchClient batch = ctx.batch_client();
  if (!o.json_file.empty()) {
    std::ifstream in(o.json_file);
    auto body = nlohmann::json::parse(in, nullptr, false);
    if (!in || body.is_discarded() || !body.is_object())
      throw std::invalid_argument("--json-file " + o.json_file + " is not a JSON object");
    o.spec.id = body.value("id", o.spec.id);
    o.spec.extra = body;  // the file is the request body; flags fill only what it leaves out
    if (body.contains("virtualMachineConfiguration")) {
      const auto& vm = body["virtualMachineConfiguration"];
      o.spec.node_agent_sku_id = vm.value("nodeAgentSKUId", "");
      if (vm.contains("imageReference") && vm["imageReference"].is_object()) {
        const auto& ir = vm["imageReference"];
        o.spec.image_reference = {ir.value("publisher", ""), ir.value("offer", ""), ir.value("sku", ""),
                                  ir.value("version", "latest")};
      }
    }
  }
  if (o.spec.id.empty()) throw std::invalid_argument("give the pool an id with --id (or in --json-file)");
  if (!o.image.empty()) {
    if (!parse_image(o.image, o.spec.image_reference))
      throw std::invalid_argument("--image must be publisher:offer:sku[:version], e.g. "
                                  "canonical:0001-com-ubuntu-server-focal:20_04-lts:latest");
    if (o.spec.node_agent_sku_id.empty())
      throw std::invalid_argument("--image needs --node-agent-sku-id (see the images the service lists)");
  } else if (o.spec.image_reference.publisher.empty()) {
    default_image(batch, o.spec);
  }
  if (!o.start_task.empty()) {
    client::StartTask st;
    st.command_line = o.start_task;
    st.wait_for_success = o.start_task_wait;
    o.spec.start_task = st;
  }
  batch.add_pool(o.spec);
  if (ctx.json()) print_json(batch.get_pool(o.spec.id).raw);
  else std::cout << "Pool [" << o.spec.id << "] created.\n";
  return kExitOk;
}

int list(ClientContext& ctx, const client::ListOptions& options) {
  auto pools = ctx.batch_client().list_pools(options);
  if (ctx.json()) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& p : pools) a.push_back(p.raw);
    print_json(a);
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& p : pools)
    rows.push_back({p.id, p.state, p.allocation_state, p.vm_size,
                    std::to_string(p.current_dedicated_nodes) + "/" + std::to_string(p.target_dedicated_nodes)});
  print_table({"ID", "STATE", "ALLOCATION", "VM SIZE", "NODES"}, rows);
  return kExitOk;
}

}  // namespace

void add_pool_commands(CLI::App& app) {
  CLI::App* pool = app.add_subcommand("pool", "Manage Batch pools");
  pool->require_subcommand(1);
  describe_exit_codes(pool);

  {
    auto o = std::make_shared<CreateOptions>();
    CLI::App* cmd = pool->add_subcommand("create", "Create a pool");
    auto ctx = add_client_options(cmd);
    cmd->add_option("--id", o->spec.id, "Pool id");
    cmd->add_option("--vm-size", o->spec.vm_size, "VM size, e.g. standard_a1_v2")->capture_default_str();
    cmd->add_option("--target-dedicated-nodes", o->spec.target_dedicated_nodes, "Number of nodes")
        ->capture_default_str();
    cmd->add_option("--task-slots-per-node", o->spec.task_slots_per_node, "Concurrent tasks per node")
        ->capture_default_str();
    cmd->add_option("--image", o->image, "publisher:offer:sku[:version] (default: first Linux image listed)");
    cmd->add_option("--node-agent-sku-id", o->spec.node_agent_sku_id, "Node agent SKU of the image");
    cmd->add_option("--start-task-command-line", o->start_task, "Command every node runs as it joins");
    cmd->add_option("--start-task-wait-for-success", o->start_task_wait,
                    "Schedule no tasks on a node before its start task succeeded")
        ->capture_default_str();
    cmd->add_option("--json-file", o->json_file, "The pool as REST JSON (PoolAddParameter)");
    cmd->callback([ctx, o] { run_verb(ctx, "pool create", [o](ClientContext& c) { return create(c, *o); }); });
  }
  {
    auto options = std::make_shared<client::ListOptions>();
    CLI::App* cmd = pool->add_subcommand("list", "List pools");
    auto ctx = add_client_options(cmd);
    cmd->add_option("--filter", options->filter, "OData $filter, e.g. \"state eq 'active'\"");
    cmd->add_option("--select", options->select, "OData $select, e.g. id,state");
    cmd->callback([ctx, options] {
      run_verb(ctx, "pool list", [options](ClientContext& c) { return list(c, *options); });
    });
  }
  {
    auto id = std::make_shared<std::string>();
    CLI::App* cmd = pool->add_subcommand("show", "Show a pool");
    auto ctx = add_client_options(cmd);
    cmd->add_option("--id,id", *id, "Pool id")->required();
    cmd->callback([ctx, id] {
      run_verb(ctx, "pool show", [id](ClientContext& c) {
        print_entity(c, c.batch_client().get_pool(*id).raw);
        return kExitOk;
      });
    });
  }
  {
    auto id = std::make_shared<std::string>();
    auto nodes = std::make_shared<int>(0);
    CLI::App* cmd = pool->add_subcommand("resize", "Change the number of nodes of a pool");
    auto ctx = add_client_options(cmd);
    cmd->add_option("--id,id", *id, "Pool id")->required();
    cmd->add_option("--target-dedicated-nodes", *nodes, "New number of nodes")->required();
    cmd->callback([ctx, id, nodes] {
      run_verb(ctx, "pool resize", [id, nodes](ClientContext& c) {
        c.batch_client().resize_pool(*id, *nodes);
        if (!c.json()) std::cout << "Pool [" << *id << "] resizing to " << *nodes << " nodes.\n";
        return kExitOk;
      });
    });
  }
  {
    auto id = std::make_shared<std::string>();
    CLI::App* cmd = pool->add_subcommand("delete", "Delete a pool and its nodes");
    auto ctx = add_client_options(cmd);
    cmd->add_option("--id,id", *id, "Pool id")->required();
    cmd->add_flag("--yes,-y")->description("Accepted for az compatibility; kiln never prompts here");
    cmd->callback([ctx, id] {
      run_verb(ctx, "pool delete", [id](ClientContext& c) {
        c.batch_client().delete_pool(*id);
        if (!c.json()) std::cout << "Pool [" << *id << "] is being deleted.\n";
        return kExitOk;
      });
    });
  }
}

}  // namespace kiln::cli
