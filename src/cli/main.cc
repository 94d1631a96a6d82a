// The `kiln` command: `kiln serve` runs the services; the other verbs are a
// client of a running Kiln (or of Azure itself).
#include <iostream>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"Kiln: Azure Batch and Azure Blob Storage on your own machine"};
  app.require_subcommand(1);
  kiln::cli::add_serve_command(app);
  kiln::cli::add_tutorial_command(app);
  kiln::cli::add_pool_commands(app);
  kiln::cli::add_job_commands(app);
  kiln::cli::add_task_commands(app);
  kiln::cli::add_node_commands(app);
  kiln::cli::add_blob_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return 0;
}
