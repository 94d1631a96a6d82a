// `kiln job create|list|show|terminate|delete`, in the spirit of `az batch job`.
#include <iostream>

#include "cli/client_context.h"
#include "cli/commands.h"

namespace kiln::cli {
namespace {

int list(ClientContext& ctx, const client::ListOptions& options) {
  auto jobs = ctx.batch_client().list_jobs(options);
  if (ctx.json()) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& j : jobs) a.push_back(j.raw);
    print_json(a);
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& j : jobs) rows.push_back({j.id, j.state, j.pool_id, j.creation_time});
  print_table({"ID", "STATE", "POOL", "CREATED"}, rows);
  return kExitOk;
}

// Adds a subcommand taking a job id and running `action` on it.
void add_id_verb(CLI::App* job, const char* name, const char* help,
                 std::function<void(ClientContext&, const std::string&)> action) {
  auto id = std::make_shared<std::string>();
  CLI::App* cmd = job->add_subcommand(name, help);
  auto ctx = add_client_options(cmd);
  cmd->add_option("--id,id", *id, "Job id")->required();
  std::string verb = std::string("job ") + name;
  cmd->callback([ctx, id, verb, action] {
    run_verb(ctx, verb, [id, action](ClientContext& c) {
      action(c, *id);
      return kExitOk;
    });
  });
}

}  // namespace

void add_job_commands(CLI::App& app) {
  CLI::App* job = app.add_subcommand("job", "Manage Batch jobs");
  job->require_subcommand(1);
  describe_exit_codes(job);
  {
    auto spec = std::make_shared<client::JobSpec>();
    CLI::App* cmd = job->add_subcommand("create", "Create a job on a pool");
    auto ctx = add_client_options(cmd);
    cmd->add_option("--id,id", spec->id, "Job id")->required();
    cmd->add_option("--pool-id", spec->pool_id, "Pool the job's tasks run on")->required();
    cmd->add_option("--priority", spec->priority, "-1000..1000");
    cmd->callback([ctx, spec] {
      run_verb(ctx, "job create", [spec](ClientContext& c) {
        auto batch = c.batch_client();
        batch.add_job(*spec);
        if (c.json()) print_json(batch.get_job(spec->id).raw);
        else std::cout << "Job [" << spec->id << "] created on pool [" << spec->pool_id << "].\n";
        return kExitOk;
      });
    });
  }
  {
    auto options = std::make_shared<client::ListOptions>();
    CLI::App* cmd = job->add_subcommand("list", "List jobs");
    auto ctx = add_client_options(cmd);
    cmd->add_option("--filter", options->filter, "OData $filter, e.g. \"state eq 'active'\"");
    cmd->callback([ctx, options] {
      run_verb(ctx, "job list", [options](ClientContext& c) { return list(c, *options); });
    });
  }
  add_id_verb(job, "show", "Show a job", [](ClientContext& c, const std::string& id) {
    print_entity(c, c.batch_client().get_job(id).raw);
  });
  add_id_verb(job, "terminate", "Terminate a job (its running tasks are stopped)",
              [](ClientContext& c, const std::string& id) {
                c.batch_client().terminate_job(id);
                if (!c.json()) std::cout << "Job [" << id << "] is terminating.\n";
              });
  add_id_verb(job, "delete", "Delete a job and its tasks", [](ClientContext& c, const std::string& id) {
    c.batch_client().delete_job(id);
    if (!c.json()) std::cout << "Job [" << id << "] is being deleted.\n";
  });
}

}  // namespace kiln::cli
