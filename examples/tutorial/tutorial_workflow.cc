#include "tutorial_workflow.h"

#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <thread>

#include "kiln/batch_client.h"
#include "kiln/blob_client.h"
#include "kiln/errors.h"

namespace kiln::examples {
namespace {

using namespace kiln::client;
using Clock = std::chrono::system_clock;

std::string timestamp(Clock::time_point t) {
  std::time_t tt = Clock::to_time_t(t);
  std::tm tm{};
  localtime_r(&tt, &tm);
  std::ostringstream s;  // whole seconds, as the tutorial prints them
  s << std::put_time(&tm, "%Y-%m-%d %H:%M:%S");
  return s.str();
}

// Python's timedelta format, as the tutorial prints it: "0:00:01.234567".
std::string duration(std::chrono::microseconds d, bool with_micros = true) {
  long long us = d.count();
  long long s = us / 1000000;
  std::ostringstream o;
  o << s / 3600 << ':' << std::setw(2) << std::setfill('0') << (s / 60) % 60 << ':' << std::setw(2)
    << std::setfill('0') << s % 60;
  if (with_micros && us % 1000000) o << '.' << std::setw(6) << std::setfill('0') << us % 1000000;
  return o.str();
}

bool confirm(const TutorialOptions& o, std::ostream& out, std::istream& in, const std::string& question) {
  out << question << " [Y/n] ";
  if (o.assume_yes) {
    out << "y (--yes)\n";
    return true;
  }
  out.flush();
  std::string answer;
  if (!std::getline(in, answer)) return false;
  return answer.empty() || answer[0] == 'y' || answer[0] == 'Y';
}

SasOptions sas(BlobSasPermissions permissions) {
  SasOptions s;
  s.permissions = permissions;
  s.expiry = Clock::now() + std::chrono::hours(2);
  return s;
}

ResourceFile upload_resource(BlobServiceClient& blobs, const std::string& container,
                             const std::string& path, std::ostream& out) {
  std::string name = std::filesystem::path(path).filename().string();
  out << "Uploading file " << path << " to container [" << container << "]..." << std::endl;
  blobs.upload_file(container, name, path);
  ResourceFile f;
  f.http_url = blobs.blob_url(container, name) + "?" +
               blobs.generate_blob_sas(container, name, sas(BlobSasPermissions::read_only()));
  f.file_path = name;
  return f;
}

// The image the SDK way: a verified Linux image from list_supported_images,
// preferring Ubuntu (the tutorial's choice).
void choose_image(BatchClient& batch, PoolSpec& pool) {
  pool.image_reference = {"Canonical", "0001-com-ubuntu-server-focal", "20_04-lts", "latest"};
  pool.node_agent_sku_id = "batch.node.ubuntu 20.04";
  const SupportedImage* best = nullptr;
  auto images = batch.list_supported_images();
  for (const auto& image : images) {
    if (image.os_type != "linux") continue;
    bool ubuntu = image.node_agent_sku_id.find("ubuntu") != std::string::npos;
    if (!best || (ubuntu && best->node_agent_sku_id.find("ubuntu") == std::string::npos)) best = &image;
  }
  if (best) {
    pool.image_reference = best->image_reference;
    pool.node_agent_sku_id = best->node_agent_sku_id;
  }
}

// Step 6: returns true when every task is completed within the timeout.
bool wait_for_tasks(BatchClient& batch, const TutorialOptions& o, std::ostream& out) {
  out << "Monitoring all tasks for 'Completed' state, timeout in " << duration(o.timeout, false) << "..."
      << std::flush;
  auto deadline = Clock::now() + o.timeout;
  auto last_dot = Clock::now();
  // Poll often at first (tiny tasks finish in well under a second), then back off.
  auto interval = std::chrono::milliseconds(25);
  auto fast_until = Clock::now() + std::chrono::seconds(5);
  ListOptions incomplete{.filter = "state ne 'completed'", .select = "id,state"};
  while (Clock::now() < deadline) {
    if (batch.list_tasks(o.job_id, incomplete).empty()) {
      out << "\n  Success! All tasks reached the 'Completed' state within the specified timeout period."
          << std::endl;
      return true;
    }
    if (Clock::now() - last_dot >= std::chrono::seconds(1)) {
      out << '.' << std::flush;
      last_dot = Clock::now();
    }
    std::this_thread::sleep_for(interval);
    if (Clock::now() > fast_until) interval = std::min(interval * 2, std::chrono::milliseconds(1000));
  }
  out << "\nERROR: Tasks did not reach 'Completed' state within timeout period of "
      << duration(o.timeout, false) << std::endl;
  return false;
}

// Prints the stderr of failed tasks: what a person needs to see first.
bool report_failures(BatchClient& batch, const TutorialOptions& o, std::ostream& out) {
  bool ok = true;
  for (const Task& t : batch.list_tasks(o.job_id)) {
    if (t.execution_info.result != "failure") continue;
    ok = false;
    out << "Task [" << t.id << "] failed (exit code "
        << (t.execution_info.exit_code ? std::to_string(*t.execution_info.exit_code) : "none") << ") "
        << t.execution_info.failure_code << " " << t.execution_info.failure_message << "\n";
    try {
      out << "  stderr.txt:\n" << batch.get_task_file(o.job_id, t.id, "stderr.txt") << "\n";
    } catch (const Error&) {
    }
  }
  return ok;
}

}  // namespace

int run_tutorial(const TutorialOptions& o, std::ostream& out, std::istream& in) {
  auto start = Clock::now();
  out << "Sample start: " << timestamp(start) << "\n" << std::endl;

  ClientOptions client_options;
  client_options.ca_file = o.ca_file;
  const std::string storage_account = o.storage_account_name.empty() ? o.account_name : o.storage_account_name;
  SharedKeyCredential storage_credential(storage_account,
                                         o.storage_account_key.empty() ? o.account_key : o.storage_account_key);
  BlobServiceClient blobs(o.blob_endpoint, storage_credential, client_options);
  BatchClient batch(o.batch_endpoint, SharedKeyCredential(o.account_name, o.account_key), client_options);

  // 1. Containers.
  const std::string app_container = "application", input_container = "input",
                    output_container = "output";
  for (const auto& c : {app_container, input_container, output_container})
    blobs.create_container_if_not_exists(c);
  out << "Container [" << app_container << "] created.\nContainer [" << input_container
      << "] created.\nContainer [" << output_container << "] created.\n" << std::endl;

  // 2. The task program and the inputs.
  ResourceFile program = upload_resource(blobs, app_container, o.task_program, out);
  program.file_mode = "0755";
  std::vector<ResourceFile> inputs;
  for (const auto& path : o.input_files) inputs.push_back(upload_resource(blobs, input_container, path, out));
  std::string output_sas = blobs.generate_container_sas(output_container, sas({.write = true}));

  // 3. The pool; its start task puts the task program in the node's shared directory.
  out << "\nCreating pool [" << o.pool_id << "]..." << std::endl;
  PoolSpec pool;
  pool.id = o.pool_id;
  pool.vm_size = o.vm_size;
  pool.target_dedicated_nodes = o.pool_node_count;
  choose_image(batch, pool);
  StartTask start_task;
  start_task.command_line =
      "/bin/bash -c \"cp -p " + program.file_path + " $AZ_BATCH_NODE_SHARED_DIR && chmod +x "
      "$AZ_BATCH_NODE_SHARED_DIR/" + program.file_path + "\"";
  start_task.resource_files = {program};
  start_task.auto_user = AutoUser{"pool", "admin"};
  start_task.wait_for_success = true;
  pool.start_task = start_task;
  batch.add_pool(pool);

  // 4. The job.
  out << "Creating job [" << o.job_id << "]..." << std::endl;
  batch.add_job({.id = o.job_id, .pool_id = o.pool_id});

  // 5. One task per input file.
  out << "Adding " << inputs.size() << " tasks to job [" << o.job_id << "]..." << std::endl;
  std::vector<TaskSpec> tasks;
  for (size_t i = 0; i < inputs.size(); ++i) {
    TaskSpec t;
    t.id = "Task" + std::to_string(i);
    t.command_line = "/bin/bash -c \"$AZ_BATCH_NODE_SHARED_DIR/" + program.file_path + " --filepath " +
                     inputs[i].file_path + " --numwords " + std::to_string(o.num_words) +
                     " --storageaccount " + storage_account + " --storagecontainer " + output_container +
                     " --sastoken '" + output_sas + "' --blobendpoint " + blobs.endpoint() + "\"";
    t.resource_files = {inputs[i]};
    // The nodes of a local Kiln share this machine: let the task trust the same CA.
    if (!o.ca_file.empty())
      t.environment_settings.push_back({"KILN_CA_FILE", std::filesystem::absolute(o.ca_file).string()});
    tasks.push_back(std::move(t));
  }
  batch.add_tasks(o.job_id, tasks);

  // 6. Wait.
  bool completed = wait_for_tasks(batch, o, out);
  bool succeeded = completed && report_failures(batch, o, out);

  // 7. Download the outputs.
  if (succeeded) {
    out << "Downloading all output files from container [" << output_container << "]..." << std::endl;
    std::filesystem::create_directories(o.download_dir);
    for (const BlobItem& b : blobs.list_blobs(output_container)) {
      std::string dest = (std::filesystem::path(o.download_dir) / b.name).string();
      blobs.download_to_file(output_container, b.name, dest);
      out << "  Downloaded blob [" << b.name << "] from container [" << output_container << "] to " << dest
          << std::endl;
    }
    out << "  Download complete!" << std::endl;
  }

  // 8. Containers.
  if (confirm(o, out, in, "Delete containers?")) {
    for (const auto& c : {app_container, input_container, output_container}) blobs.delete_container(c);
  }

  auto end = Clock::now();
  out << "\nSample end: " << timestamp(end) << "\n"
      << "Elapsed time: " << duration(std::chrono::duration_cast<std::chrono::microseconds>(end - start))
      << "\n" << std::endl;

  // 9. Batch resources.
  if (confirm(o, out, in, "Delete job?")) batch.delete_job(o.job_id);
  if (confirm(o, out, in, "Delete pool?")) batch.delete_pool(o.pool_id);
  return succeeded ? 0 : 1;
}

}  // namespace kiln::examples
