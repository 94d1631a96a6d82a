// `kiln task add|list|show|wait|logs|delete`, in the spirit of `az batch task`.
#include <chrono>
#include <fstream>
#include <iostream>
#include <thread>

#include "cli/client_context.h"
#include "cli/commands.h"

namespace kiln::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct AddOptions {
  std::string job_id;
  client::TaskSpec spec;
  std::vector<std::string> resource_files;  // "filePath=url"
  std::vector<std::string> env;             // "NAME=VALUE"
  std::string json_file;
};

std::pair<std::string, std::string> split_pair(const std::string& s, const char* what) {
  size_t eq = s.find('=');
  if (eq == std::string::npos || eq == 0) throw std::invalid_argument(std::string(what) + " '" + s + "' lacks '='");
  return {s.substr(0, eq), s.substr(eq + 1)};
}

int add(ClientContext& ctx, AddOptions& o) {
  if (!o.json_file.empty()) {
    std::ifstream in(o.json_file);
    auto body = nlohmann::json::parse(in, nullptr, false);
    if (!in || body.is_discarded() || !body.is_object())
      throw std::invalid_argument("--json-file " + o.json_file + " is not a JSON object");
    o.spec.id = body.value("id", o.spec.id);
    o.spec.command_line = body.value("commandLine", o.spec.command_line);
    o.spec.extra = body;
  }
  if (o.spec.id.empty() || o.spec.command_line.empty())
    throw std::invalid_argument("a task needs --task-id and --command-line (or a --json-file with both)");
  for (const auto& rf : o.resource_files) {
    auto [path, url] = split_pair(rf, "--resource-file");
    o.spec.resource_files.push_back({.http_url = url, .file_path = path});
  }
  for (const auto& e : o.env) {
    auto [name, value] = split_pair(e, "--env");
    o.spec.environment_settings.push_back({name, value});
  }
  auto batch = ctx.batch_client();
  batch.add_task(o.job_id, o.spec);
  if (ctx.json()) print_json(batch.get_task(o.job_id, o.spec.id).raw);
  else std::cout << "Task [" << o.spec.id << "] added to job [" << o.job_id << "].\n";
  return kExitOk;
}

std::string exit_code_text(const client::Task& t) {
  return t.execution_info.exit_code ? std::to_string(*t.execution_info.exit_code) : "";
}

int list(ClientContext& ctx, const std::string& job_id, const client::ListOptions& options) {
  auto tasks = ctx.batch_client().list_tasks(job_id, options);
  if (ctx.json()) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& t : tasks) a.push_back(t.raw);
    print_json(a);
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& t : tasks)
    rows.push_back({t.id, t.state, t.execution_info.result, exit_code_text(t), t.node_id, t.command_line});
  print_table({"ID", "STATE", "RESULT", "EXIT", "NODE", "COMMAND LINE"}, rows);
  return kExitOk;
}

struct WaitOptions {
  std::string job_id;
  std::vector<std::string> task_ids;  // empty: every task of the job
  int timeout_seconds = 600;
};

// Polls until the tasks are completed; exit code says whether all succeeded.
int wait(ClientContext& ctx, const WaitOptions& o) {
  auto batch = ctx.batch_client();
  auto deadline = Clock::now() + std::chrono::seconds(o.timeout_seconds);
  auto interval = std::chrono::milliseconds(25);  // often at first, then back off
  auto fast_until = Clock::now() + std::chrono::seconds(5);
  ProgressBar bar("tasks completed");
  std::vector<client::Task> tasks;
  for (;;) {
    tasks.clear();
    if (o.task_ids.empty()) {
      tasks = batch.list_tasks(o.job_id, {.select = "id,state,executionInfo"});
    } else {
      for (const auto& id : o.task_ids) tasks.push_back(batch.get_task(o.job_id, id));
    }
    size_t done = 0;
    for (const auto& t : tasks) done += t.state == "completed";
    bar.update(done, tasks.size());
    if (done == tasks.size()) break;
    if (Clock::now() >= deadline) {
      bar.finish();
      std::cerr << "kiln task wait: " << tasks.size() - done << " of " << tasks.size()
                << " tasks not completed after " << o.timeout_seconds
                << " s\n  hint: `kiln task list --job-id " << o.job_id
                << "` shows their states; raise --timeout to wait longer\n";
      return kExitTimeout;
    }
    std::this_thread::sleep_for(interval);
    if (Clock::now() > fast_until) interval = std::min(interval * 2, std::chrono::milliseconds(1000));
  }
  bar.finish();
  int failed = 0;
  for (const auto& t : tasks) {
    if (t.execution_info.result == "failure") {
      ++failed;
      std::cerr << "Task [" << t.id << "] failed: exit code " << exit_code_text(t) << " "
                << t.execution_info.failure_code << " " << t.execution_info.failure_message << "\n";
    }
  }
  if (ctx.json()) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& t : tasks) a.push_back({{"id", t.id}, {"state", t.state}, {"result", t.execution_info.result}});
    print_json(a);
  } else {
    std::cout << tasks.size() - failed << " of " << tasks.size() << " tasks succeeded.\n";
  }
  if (failed) std::cerr << "  hint: `kiln task logs --job-id " << o.job_id << " --task-id <id> --stderr`\n";
  return failed ? kExitFailure : kExitOk;
}

}  // namespace

void add_task_commands(CLI::App& app) {
  CLI::App* task = app.add_subcommand("task", "Manage the tasks of a job");
  task->require_subcommand(1);
  describe_exit_codes(task);
  {
    auto o = std::make_shared<AddOptions>();
    CLI::App* cmd = task->add_subcommand("add", "Add a task to a job");
    auto ctx = add_client_options(cmd);
    cmd->add_option("--job-id", o->job_id, "Job id")->required();
    cmd->add_option("--task-id,--id", o->spec.id, "Task id");
    cmd->add_option("--command-line", o->spec.command_line, "What the task runs (not through a shell)");
    cmd->add_option("--resource-file", o->resource_files, "FILE_PATH=URL to download before it runs");
    cmd->add_option("--env", o->env, "NAME=VALUE environment setting");
    cmd->add_option("--json-file", o->json_file, "The task as REST JSON (TaskAddParameter)");
    cmd->callback([ctx, o] { run_verb(ctx, "task add", [o](ClientContext& c) { return add(c, *o); }); });
  }
  {
    auto job_id = std::make_shared<std::string>();
    auto options = std::make_shared<client::ListOptions>();
    CLI::App* cmd = task->add_subcommand("list", "List the tasks of a job");
    auto ctx = add_client_options(cmd);
    cmd->add_option("--job-id", *job_id, "Job id")->required();
    cmd->add_option("--filter", options->filter, "OData $filter, e.g. \"state eq 'completed'\"");
    cmd->callback([ctx, job_id, options] {
      run_verb(ctx, "task list", [job_id, options](ClientContext& c) { return list(c, *job_id, *options); });
    });
  }
  {
    auto job_id = std::make_shared<std::string>();
    auto task_id = std::make_shared<std::string>();
    CLI::App* cmd = task->add_subcommand("show", "Show a task");
    auto ctx = add_client_options(cmd);
    cmd->add_option("--job-id", *job_id, "Job id")->required();
    cmd->add_option("--task-id,--id", *task_id, "Task id")->required();
    cmd->callback([ctx, job_id, task_id] {
      run_verb(ctx, "task show", [job_id, task_id](ClientContext& c) {
        print_entity(c, c.batch_client().get_task(*job_id, *task_id).raw);
        return kExitOk;
      });
    });
  }
  {
    auto o = std::make_shared<WaitOptions>();
    CLI::App* cmd = task->add_subcommand("wait", "Wait until tasks are completed; fails if any failed");
    auto ctx = add_client_options(cmd);
    cmd->add_option("--job-id", o->job_id, "Job id")->required();
    cmd->add_option("--task-id,--id", o->task_ids, "Task ids (default: every task of the job)");
    cmd->add_option("--timeout", o->timeout_seconds, "Seconds to wait at most")->capture_default_str();
    cmd->callback([ctx, o] { run_verb(ctx, "task wait", [o](ClientContext& c) { return wait(c, *o); }); });
  }
  {
    auto job_id = std::make_shared<std::string>();
    auto task_id = std::make_shared<std::string>();
    auto stderr_file = std::make_shared<bool>(false);
    CLI::App* cmd = task->add_subcommand("logs", "Print a task's stdout.txt (or stderr.txt)");
    auto ctx = add_client_options(cmd);
    cmd->add_option("--job-id", *job_id, "Job id")->required();
    cmd->add_option("--task-id,--id", *task_id, "Task id")->required();
    cmd->add_flag("--stderr", *stderr_file, "Print stderr.txt instead");
    cmd->callback([ctx, job_id, task_id, stderr_file] {
      run_verb(ctx, "task logs", [=](ClientContext& c) {
        std::cout << c.batch_client().get_task_file(*job_id, *task_id, *stderr_file ? "stderr.txt" : "stdout.txt");
        return kExitOk;
      });
    });
  }
  {
    auto job_id = std::make_shared<std::string>();
    auto task_id = std::make_shared<std::string>();
    CLI::App* cmd = task->add_subcommand("delete", "Delete a task");
    auto ctx = add_client_options(cmd);
    cmd->add_option("--job-id", *job_id, "Job id")->required();
    cmd->add_option("--task-id,--id", *task_id, "Task id")->required();
    cmd->callback([ctx, job_id, task_id] {
      run_verb(ctx, "task delete", [=](ClientContext& c) {
        c.batch_client().delete_task(*job_id, *task_id);
        if (!c.json()) std::cout << "Task [" << *task_id << "] deleted.\n";
        return kExitOk;
      });
    });
  }
}

}  // namespace kiln::cli
