// Batch REST handlers, one file per resource (account, pool, node, job, task,
// file). Each takes the request context with ids already extracted by the
// router, and writes the success response; failures throw BatchError.
#pragma once

#include <string>

#include "batch/handler_context.h"

namespace kiln::batch::handlers {

// account_handlers.cc
void list_supported_images(Ctx& c);
void list_pool_node_counts(Ctx& c);

// pool_handlers.cc
void add_pool(Ctx& c);
void list_pools(Ctx& c);
void get_pool(Ctx& c, const std::string& pool);
void pool_exists(Ctx& c, const std::string& pool);
void delete_pool(Ctx& c, const std::string& pool);
void patch_pool(Ctx& c, const std::string& pool);
// POST /pools/{id}/{action}: updateproperties, resize, stopresize, removenodes, *autoscale
void pool_action(Ctx& c, const std::string& pool, const std::string& action);

// node_handlers.cc
void list_nodes(Ctx& c, const std::string& pool);
void get_node(Ctx& c, const std::string& pool, const std::string& node);
// POST /pools/{id}/nodes/{node}/{action}: reboot, disablescheduling, enablescheduling, ...
void node_action(Ctx& c, const std::string& pool, const std::string& node, const std::string& action);

// job_handlers.cc
void add_job(Ctx& c);
void list_jobs(Ctx& c);
void get_job(Ctx& c, const std::string& job);
void delete_job(Ctx& c, const std::string& job);
void update_job(Ctx& c, const std::string& job, bool replace);
void job_action(Ctx& c, const std::string& job, const std::string& action);  // disable/enable/terminate
void job_task_counts(Ctx& c, const std::string& job);
void lifetime_job_stats(Ctx& c);  // GET /lifetimejobstats

// pool_handlers.cc (lifetime)
void lifetime_pool_stats(Ctx& c);  // GET /lifetimepoolstats

// task_handlers.cc
void add_task(Ctx& c, const std::string& job);
void add_task_collection(Ctx& c, const std::string& job);
void list_tasks(Ctx& c, const std::string& job);
void get_task(Ctx& c, const std::string& job, const std::string& task);
void update_task(Ctx& c, const std::string& job, const std::string& task);
void delete_task(Ctx& c, const std::string& job, const std::string& task);
void task_action(Ctx& c, const std::string& job, const std::string& task, const std::string& action);
void list_subtasks(Ctx& c, const std::string& job, const std::string& task);

// file_handlers.cc
void list_task_files(Ctx& c, const std::string& job, const std::string& task);
void task_file(Ctx& c, const std::string& job, const std::string& task, const std::string& path);
void list_node_files(Ctx& c, const std::string& pool, const std::string& node);
void node_file(Ctx& c, const std::string& pool, const std::string& node, const std::string& path);

}  // namespace kiln::batch::handlers
