// `kiln tutorial`: runs the Batch tutorial (examples/tutorial) end to end,
// against a running server when endpoints are given (flags or KILN_*_ENDPOINT),
// otherwise against an embedded in-memory Kiln started for the run.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>

#include "cli/client_context.h"
#include "cli/commands.h"
#include "core/url.h"
#include "kiln/errors.h"
#include "server/kiln_server.h"
#include "tutorial_workflow.h"

#ifndef KILN_TUTORIAL_TASK_PROGRAM
#define KILN_TUTORIAL_TASK_PROGRAM ""
#endif
#ifndef KILN_TUTORIAL_DATA_DIR
#define KILN_TUTORIAL_DATA_DIR ""
#endif

namespace kiln::cli {
namespace {

struct TutorialFlags {
  examples::TutorialOptions options;
  int timeout_seconds = 20 * 60;
  bool tls = false;  // embedded server over HTTPS, host-style blob URL
};

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

void find_inputs(examples::TutorialOptions& o) {
  if (o.task_program.empty()) o.task_program = env("KILN_TUTORIAL_TASK");
  if (o.task_program.empty()) o.task_program = KILN_TUTORIAL_TASK_PROGRAM;
  if (!std::filesystem::is_regular_file(o.task_program))
    throw std::invalid_argument("the task program '" + o.task_program +
                                "' does not exist; build it (target kiln_tutorial_task) or give --task-program");
  if (o.input_files.empty()) {
    for (const char* name : {"taskdata1.txt", "taskdata2.txt", "taskdata3.txt"})
      o.input_files.push_back((std::filesystem::path(KILN_TUTORIAL_DATA_DIR) / name).string());
  }
  for (const auto& f : o.input_files)
    if (!std::filesystem::is_regular_file(f))
      throw std::invalid_argument("input file '" + f + "' does not exist; give inputs with --input-file");
  if (o.download_dir.empty()) {
    std::string dir = (std::filesystem::temp_directory_path() / "kiln-tutorial-XXXXXX").string();
    if (!mkdtemp(dir.data())) throw std::runtime_error("cannot create a download directory in /tmp");
    o.download_dir = dir;
  }
}

int run(ClientContext& ctx, TutorialFlags& flags, bool embedded) {
  examples::TutorialOptions& o = flags.options;
  o.timeout = std::chrono::seconds(flags.timeout_seconds);
  find_inputs(o);
  std::optional<server::KilnServer> server;
  if (embedded) {
    // The tutorial's console output is the point here; keep the server's INFO lines out of it.
    setenv("KILN_LOG", "warn", /*overwrite=*/0);
    server::ServerConfig config;
    config.blob_port = 0;
    config.batch_port = 0;
    config.in_memory = true;
    config.tls_dev_cert = flags.tls;
    server.emplace(config);
    server->start();
    std::cout << "Started an embedded Kiln (in memory): blob " << server->blob_endpoint() << ", batch "
              << server->batch_endpoint() << "\n\n";
    ctx.blob_endpoint = server->blob_endpoint();
    if (flags.tls) {  // the host-style URL Azure samples use; *.localhost is loopback
      ctx.blob_endpoint = "https://" + std::string(client::kDevelopmentAccount) + ".blob.core.localhost:" +
                          std::to_string(url::parse(ctx.blob_endpoint)->port);
      std::cout << "Using the host-style blob endpoint " << ctx.blob_endpoint << ", trusting " << server->ca_file()
                << "\n\n";
    }
    ctx.batch_endpoint = server->batch_endpoint();
    ctx.account_name = std::string(client::kDevelopmentAccount);
    ctx.account_key = std::string(client::kDevelopmentKey);
    ctx.ca_file = server->ca_file();
  }
  o.blob_endpoint = ctx.blob_endpoint;
  o.batch_endpoint = ctx.batch_endpoint;
  o.account_name = ctx.account_name;
  o.account_key = ctx.account_key;
  o.ca_file = ctx.ca_file;
  int code = examples::run_tutorial(o, std::cout, std::cin);
  if (server) server->stop();
  return code;
}

}  // namespace

void add_tutorial_command(CLI::App& app) {
  auto flags = std::make_shared<TutorialFlags>();
  CLI::App* cmd = app.add_subcommand(
      "tutorial",
      "Run the Batch tutorial end to end (containers, upload, pool, job, tasks, wait, download, clean up). "
      "Without endpoints it starts an embedded in-memory Kiln for the run.");
  auto ctx = add_client_options(cmd);
  examples::TutorialOptions& o = flags->options;
  cmd->add_flag("-y,--yes", o.assume_yes, "Answer yes to the deletion prompts");
  cmd->add_option("--task-program", o.task_program, "The kiln_tutorial_task binary [env KILN_TUTORIAL_TASK]");
  cmd->add_option("--input-file", o.input_files, "Input text files (default: the three that ship with Kiln)");
  cmd->add_option("--download-dir", o.download_dir, "Where outputs are downloaded (default: a new temp dir)");
  cmd->add_option("--pool-id", o.pool_id)->capture_default_str();
  cmd->add_option("--job-id", o.job_id)->capture_default_str();
  cmd->add_option("--nodes", o.pool_node_count, "Nodes in the pool")->capture_default_str();
  cmd->add_option("--numwords", o.num_words, "Top words each task reports")->capture_default_str();
  cmd->add_option("--storage-account-name", o.storage_account_name,
                  "Storage account, if not the Batch account [env KILN_STORAGE_ACCOUNT_NAME]")
      ->envname("KILN_STORAGE_ACCOUNT_NAME");
  cmd->add_option("--storage-account-key", o.storage_account_key, "Its key [env KILN_STORAGE_ACCOUNT_KEY]")
      ->envname("KILN_STORAGE_ACCOUNT_KEY");
  cmd->add_flag("--tls", flags->tls, "Embedded server over HTTPS with a development certificate");
  cmd->add_option("--timeout", flags->timeout_seconds, "Seconds to wait for the tasks")->capture_default_str();
  cmd->callback([ctx, flags] {
    // Embedded unless an endpoint was given on the command line or in the environment.
    bool embedded = ctx->batch_endpoint.empty() && ctx->blob_endpoint.empty() &&
                    ctx->connection_string.empty() && env("KILN_BATCH_ENDPOINT").empty() &&
                    env("KILN_BLOB_ENDPOINT").empty();
    run_verb(ctx, "tutorial", [flags, embedded](ClientContext& c) { return run(c, *flags, embedded); });
  });
}

}  // namespace kiln::cli
