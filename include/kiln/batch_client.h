// A client for the Azure Batch service REST API (and Kiln's Batch service),
// api-version 2022-10-01.16.0.
//
// Usage:
//   kiln::client::BatchClient batch("http://127.0.0.1:10100", {"devstoreaccount1", key});
//   batch.add_pool({.id = "p1", .vm_size = "standard_a1_v2", ...});
//   batch.add_job({.id = "j1", .pool_id = "p1"});
//   batch.add_tasks("j1", tasks);              // chunks of 100, like the SDKs
//   for (auto& t : batch.list_tasks("j1")) ...;
//
// The endpoint is the Batch account URL ("https://<account>.<region>.batch.azure.com"
// in Azure). Requests are signed with Shared Key (ocp-date, client-request-id).
// Listing methods follow odata.nextLink until the end, or return one page
// (`*_page`) with the link to the next. Failures throw ServiceError (with
// Azure's code, e.g. "PoolExists", "JobNotFound") or TransportError.
//
// Thread-safety: calls are serialised on the client's connection; use one
// client per thread for parallelism.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "kiln/batch_models.h"
#include "kiln/client_options.h"
#include "kiln/credentials.h"

namespace kiln::client {

inline constexpr const char* kBatchApiVersion = "2022-10-01.16.0";

// OData options of list and get operations.
struct ListOptions {
  std::string filter;  // $filter, e.g. "state eq 'completed'"
  std::string select;  // $select, e.g. "id,state"
  std::string expand;  // $expand, e.g. "stats"
  int max_results = 0; // maxresults per page; 0 = service default (1000)
};

template <class T>
struct BatchPage {
  std::vector<T> items;
  std::string next_link;  // absolute URL of the next page; empty on the last
};

class BatchClient {
 public:
  BatchClient(std::string endpoint, SharedKeyCredential credential, ClientOptions options = {});
  ~BatchClient();
  BatchClient(BatchClient&&) noexcept;
  BatchClient& operator=(BatchClient&&) noexcept;

  const std::string& endpoint() const;

  // --- account
  std::vector<SupportedImage> list_supported_images(const ListOptions& options = {});
  // Nodes per state for each pool of the account.
  std::vector<PoolNodeCounts> list_pool_node_counts(const ListOptions& options = {});

  // --- pools
  void add_pool(const PoolSpec& spec);
  Pool get_pool(const std::string& pool_id, const ListOptions& options = {});
  bool pool_exists(const std::string& pool_id);
  std::vector<Pool> list_pools(const ListOptions& options = {});
  BatchPage<Pool> list_pools_page(const ListOptions& options = {}, const std::string& next_link = {});
  void resize_pool(const std::string& pool_id, int target_dedicated_nodes,
                   int target_low_priority_nodes = 0);
  void delete_pool(const std::string& pool_id);

  // --- jobs
  void add_job(const JobSpec& spec);
  Job get_job(const std::string& job_id, const ListOptions& options = {});
  std::vector<Job> list_jobs(const ListOptions& options = {});
  void terminate_job(const std::string& job_id, const std::string& reason = {});
  void delete_job(const std::string& job_id);
  TaskCounts get_task_counts(const std::string& job_id);

  // --- tasks
  void add_task(const std::string& job_id, const TaskSpec& spec);
  // Adds tasks in chunks of 100 (the service limit per request). Tasks that fail
  // with a serverError are resubmitted (up to the retry policy's max_retries);
  // the final per-task results are returned. Throws ServiceError if any task
  // ended in clientError (the first such error), after all chunks were sent.
  std::vector<TaskAddResult> add_tasks(const std::string& job_id, const std::vector<TaskSpec>& tasks);
  Task get_task(const std::string& job_id, const std::string& task_id, const ListOptions& options = {});
  std::vector<Task> list_tasks(const std::string& job_id, const ListOptions& options = {});
  BatchPage<Task> list_tasks_page(const std::string& job_id, const ListOptions& options = {},
                                  const std::string& next_link = {});
  void terminate_task(const std::string& job_id, const std::string& task_id);
  void delete_task(const std::string& job_id, const std::string& task_id);

  // --- compute nodes
  std::vector<ComputeNode> list_nodes(const std::string& pool_id, const ListOptions& options = {});
  ComputeNode get_node(const std::string& pool_id, const std::string& node_id);

  // --- files
  // Files of a task (recursive lists subdirectories too).
  std::vector<NodeFile> list_task_files(const std::string& job_id, const std::string& task_id,
                                        bool recursive = false);
  // Contents of a task file, e.g. "stdout.txt".
  std::string get_task_file(const std::string& job_id, const std::string& task_id,
                            const std::string& file_path);
  std::vector<NodeFile> list_node_files(const std::string& pool_id, const std::string& node_id,
                                        bool recursive = false);
  std::string get_node_file(const std::string& pool_id, const std::string& node_id,
                            const std::string& file_path);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kiln::client
