// Each verb group of the `kiln` command registers itself on the root app.
// main.cc only wires them together; every group lives in its own file.
#pragma once

#include <CLI/CLI.hpp>

namespace kiln::cli {

void add_serve_command(CLI::App& app);     // serve_command.cc
void add_tutorial_command(CLI::App& app);  // tutorial_command.cc
void add_pool_commands(CLI::App& app);     // pool_commands.cc
void add_job_commands(CLI::App& app);      // job_commands.cc
void add_task_commands(CLI::App& app);     // task_commands.cc
void add_node_commands(CLI::App& app);     // node_commands.cc
void add_blob_commands(CLI::App& app);     // blob_commands.cc

}  // namespace kiln::cli
