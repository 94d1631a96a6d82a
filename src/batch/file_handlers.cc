// Files of a task (its directory: stdout.txt, stderr.txt, wd/...) and of a
// compute node (startup/, shared/, workitems/...): list, get (with ocp-range),
// get properties, delete. Path checks happen twice: here ('..' is refused) and
// in the node agent, which resolves every path beneath the node root.
#include <algorithm>
#include <cstdio>

#include "batch/errors.h"
#include "batch/handlers.h"
#include "core/time_format.h"
#include "core/url.h"

namespace kiln::batch::handlers {
namespace {

bool safe_relative(const std::string& p) {
  if (p.empty() || p[0] == '/') return false;
  size_t start = 0;
  while (start <= p.size()) {
    size_t slash = p.find('/', start);
    std::string part = p.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (part == ".." || part == ".") return false;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return p.find('\0') == std::string::npos;
}

std::string rfc(int64_t us) { return timefmt::rfc1123(timefmt::from_micros(us)); }

Json file_json(const node::FileInfo& f, const std::string& url) {
  Json props = {{"lastModified", iso_time(f.last_modified_us)},
                {"contentLength", f.is_directory ? 0 : f.size},
                {"contentType", "application/octet-stream"}};
  if (f.creation_time_us) props["creationTime"] = iso_time(f.creation_time_us);
  if (!f.file_mode.empty()) props["fileMode"] = f.file_mode;
  return {{"name", f.name}, {"url", url}, {"isDirectory", f.is_directory}, {"properties", props}};
}

bool recursive(const Ctx& c) { return lower(c.req.query_param("recursive").value_or("false")) == "true"; }

void list_files(Ctx& c, node::NodeAgent& agent, const std::string& dir, const std::string& url_base) {
  std::vector<node::FileInfo> files;
  if (!agent.list_files(dir, recursive(c), files)) files.clear();
  std::vector<std::pair<std::string, Json>> items;
  for (const auto& f : files) items.emplace_back(f.name, file_json(f, url_base + url::encode(f.name, true)));
  std::sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  write_list(c, "files", std::move(items));
}

// GET (content), HEAD (properties) or DELETE of `path` (relative to the node root).
void serve_file(Ctx& c, node::NodeAgent& agent, const std::string& path, const std::string& url) {
  if (c.req.method == "DELETE") {
    node::FileInfo info;
    if (!agent.stat_file(path, info)) throw errors::file_not_found();
    bool rec = recursive(c);
    if (info.is_directory && !rec)
      throw BatchError(409, "DirectoryNotEmpty", "The directory is not empty; set recursive to delete it.");
    if (!agent.delete_file(path, rec)) throw errors::file_not_found();
    write_empty(c, 200);
    return;
  }
  node::FileInfo info;
  if (!agent.stat_file(path, info)) throw errors::file_not_found();
  if (info.is_directory && c.req.method != "HEAD") throw errors::file_not_found();
  c.res.headers.set("ocp-creation-time", rfc(info.creation_time_us ? info.creation_time_us : info.last_modified_us));
  c.res.headers.set("ocp-batch-file-isdirectory", info.is_directory ? "true" : "false");
  c.res.headers.set("ocp-batch-file-url", url::encode(url, false));
  if (!info.file_mode.empty()) c.res.headers.set("ocp-batch-file-mode", info.file_mode);
  c.res.headers.set("Last-Modified", rfc(info.last_modified_us));
  c.res.headers.set("Content-Type", "application/octet-stream");
  if (auto ims = c.req.headers.find("If-Modified-Since")) {
    auto t = timefmt::parse_rfc1123(*ims);
    if (t && info.last_modified_us / 1000000 <= timefmt::to_micros(*t) / 1000000) throw errors::not_modified();
  }
  if (c.req.method == "HEAD" || info.is_directory) {
    c.res.status = 200;
    c.res.headers.set("Content-Length", std::to_string(info.is_directory ? 0 : info.size));
    c.res.suppress_body = true;
    return;
  }
  uint64_t offset = 0, length = info.size;
  std::string range = c.req.headers.get("ocp-range");
  if (range.empty()) range = c.req.headers.get("Range");
  if (!range.empty()) {
    unsigned long long a = 0, b = 0;
    int n = std::sscanf(range.c_str(), "bytes=%llu-%llu", &a, &b);
    if (n < 1 || (n == 2 && b < a)) throw errors::invalid_header("ocp-range", range);
    if (info.size == 0 || a >= info.size)
      throw BatchError(416, "InvalidRange", "The range specified is invalid for the current size of the resource.");
    offset = a;
    uint64_t end = n == 2 ? std::min<uint64_t>(b, info.size - 1) : info.size - 1;
    length = end - a + 1;
  }
  int fd = agent.open_file(path);
  if (fd < 0) throw errors::file_not_found();
  c.res.status = 200;
  c.res.file = http::FileBody{http::FileBody::adopt(fd), offset, length};
}

// The task's location; TaskFilesCleanedup when its retention time removed its directory.
TaskLocation task_files(Ctx& c, const std::string& job, const std::string& task) {
  TaskLocation loc = c.engine.task_location(job, task);
  node::FileInfo dir;
  if (loc.completed && !loc.agent->stat_file(loc.task_dir, dir)) throw errors::task_files_cleaned_up();
  return loc;
}

}  // namespace

void list_task_files(Ctx& c, const std::string& job, const std::string& task) {
  TaskLocation loc = task_files(c, job, task);
  list_files(c, *loc.agent, loc.task_dir, c.base + "/jobs/" + job + "/tasks/" + task + "/files/");
}

void task_file(Ctx& c, const std::string& job, const std::string& task, const std::string& path) {
  if (!safe_relative(path)) throw errors::file_not_found();
  TaskLocation loc = task_files(c, job, task);
  serve_file(c, *loc.agent, loc.task_dir + "/" + path, c.base + "/jobs/" + job + "/tasks/" + task + "/files/" + path);
}

void list_node_files(Ctx& c, const std::string& pool, const std::string& node) {
  auto agent = c.engine.node_agent(pool, node);
  list_files(c, *agent, "", c.base + "/pools/" + pool + "/nodes/" + node + "/files/");
}

void node_file(Ctx& c, const std::string& pool, const std::string& node, const std::string& path) {
  if (!safe_relative(path)) throw errors::file_not_found();
  auto agent = c.engine.node_agent(pool, node);
  serve_file(c, *agent, path, c.base + "/pools/" + pool + "/nodes/" + node + "/files/" + path);
}

}  // namespace kiln::batch::handlers
