#include "kiln/batch_client.h"

#include "client/pipeline.h"
#include "core/url.h"

namespace kiln::client {

using json = nlohmann::json;

struct BatchClient::Impl {
  std::string endpoint;
  detail::Pipeline pipeline;

  Impl(std::string e, SharedKeyCredential c, ClientOptions o)
      : endpoint(std::move(e)), pipeline(shared_key::Service::kBatch, std::move(c), o) {
    while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  }

  // endpoint + path + "?api-version=..." + OData options.
  std::string url(const std::string& path, const ListOptions& o = {}, const std::string& extra = {}) {
    std::string u = endpoint + path + "?api-version=" + kBatchApiVersion;
    if (!o.filter.empty()) u += "&$filter=" + url::encode(o.filter);
    if (!o.select.empty()) u += "&$select=" + url::encode(o.select);
    if (!o.expand.empty()) u += "&$expand=" + url::encode(o.expand);
    if (o.max_results > 0) u += "&maxresults=" + std::to_string(o.max_results);
    return u + extra;
  }

  http::ClientResponse call(std::string_view method, const std::string& url, const json* body = nullptr) {
    http::Headers h;
    h.set("Accept", "application/json");
    std::string payload;
    if (body) {
      payload = body->dump();
      h.set("Content-Type", "application/json; odata=minimalmetadata; charset=utf-8");
    }
    return pipeline.send(method, url, std::move(h), payload);
  }

  json get_json(const std::string& url) {
    auto r = call("GET", url);
    auto j = json::parse(r.body, nullptr, false);
    if (j.is_discarded()) throw Error("the Batch service returned a body that is not JSON: " + url);
    return j;
  }

  // One page of a list: the items and odata.nextLink.
  template <class T>
  BatchPage<T> page(const std::string& url, T (*convert)(const json&)) {
    json j = get_json(url);
    BatchPage<T> p;
    if (auto v = j.find("value"); v != j.end() && v->is_array())
      for (const auto& item : *v) p.items.push_back(convert(item));
    if (auto n = j.find("odata.nextLink"); n != j.end() && n->is_string()) p.next_link = *n;
    return p;
  }

  template <class T>
  std::vector<T> all(std::string url, T (*convert)(const json&)) {
    std::vector<T> out;
    while (!url.empty()) {
      auto p = page<T>(url, convert);
      out.insert(out.end(), std::make_move_iterator(p.items.begin()),
                 std::make_move_iterator(p.items.end()));
      url = p.next_link;
    }
    return out;
  }
};

namespace {
std::string seg(const std::string& s) { return url::encode(s); }
std::string file_path(const std::string& p) { return url::encode(p, /*keep_slash=*/true); }
}  // namespace

BatchClient::BatchClient(std::string endpoint, SharedKeyCredential credential, ClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(endpoint), std::move(credential), options)) {}
BatchClient::~BatchClient() = default;
BatchClient::BatchClient(BatchClient&&) noexcept = default;
BatchClient& BatchClient::operator=(BatchClient&&) noexcept = default;

const std::string& BatchClient::endpoint() const { return impl_->endpoint; }

std::vector<SupportedImage> BatchClient::list_supported_images(const ListOptions& o) {
  return impl_->all<SupportedImage>(impl_->url("/supportedimages", o), supported_image_from_json);
}

std::vector<PoolNodeCounts> BatchClient::list_pool_node_counts(const ListOptions& o) {
  return impl_->all<PoolNodeCounts>(impl_->url("/nodecounts", o), pool_node_counts_from_json);
}

// ---- pools

void BatchClient::add_pool(const PoolSpec& spec) {
  json body = to_json(spec);
  impl_->call("POST", impl_->url("/pools"), &body);
}

Pool BatchClient::get_pool(const std::string& id, const ListOptions& o) {
  return pool_from_json(impl_->get_json(impl_->url("/pools/" + seg(id), o)));
}

bool BatchClient::pool_exists(const std::string& id) {
  try {
    impl_->call("HEAD", impl_->url("/pools/" + seg(id)));
    return true;
  } catch (const ServiceError& e) {
    if (e.status() == 404) return false;
    throw;
  }
}

std::vector<Pool> BatchClient::list_pools(const ListOptions& o) {
  return impl_->all<Pool>(impl_->url("/pools", o), pool_from_json);
}

BatchPage<Pool> BatchClient::list_pools_page(const ListOptions& o, const std::string& next_link) {
  return impl_->page<Pool>(next_link.empty() ? impl_->url("/pools", o) : next_link, pool_from_json);
}

void BatchClient::resize_pool(const std::string& id, int dedicated, int low_priority) {
  json body = {{"targetDedicatedNodes", dedicated}, {"targetLowPriorityNodes", low_priority}};
  impl_->call("POST", impl_->url("/pools/" + seg(id) + "/resize"), &body);
}

void BatchClient::delete_pool(const std::string& id) {
  impl_->call("DELETE", impl_->url("/pools/" + seg(id)));
}

// ---- jobs

void BatchClient::add_job(const JobSpec& spec) {
  json body = to_json(spec);
  impl_->call("POST", impl_->url("/jobs"), &body);
}

Job BatchClient::get_job(const std::string& id, const ListOptions& o) {
  return job_from_json(impl_->get_json(impl_->url("/jobs/" + seg(id), o)));
}

std::vector<Job> BatchClient::list_jobs(const ListOptions& o) {
  return impl_->all<Job>(impl_->url("/jobs", o), job_from_json);
}

void BatchClient::terminate_job(const std::string& id, const std::string& reason) {
  json body = json::object();
  if (!reason.empty()) body["terminateReason"] = reason;
  impl_->call("POST", impl_->url("/jobs/" + seg(id) + "/terminate"), &body);
}

void BatchClient::delete_job(const std::string& id) {
  impl_->call("DELETE", impl_->url("/jobs/" + seg(id)));
}

TaskCounts BatchClient::get_task_counts(const std::string& job_id) {
  json j = impl_->get_json(impl_->url("/jobs/" + seg(job_id) + "/taskcounts"));
  const json& c = j.contains("taskCounts") ? j["taskCounts"] : j;  // older versions: flat
  auto n = [&](const char* k) { return c.contains(k) && c[k].is_number() ? c[k].get<int>() : 0; };
  return {n("active"), n("running"), n("completed"), n("succeeded"), n("failed")};
}

// ---- tasks

void BatchClient::add_task(const std::string& job_id, const TaskSpec& spec) {
  json body = to_json(spec);
  impl_->call("POST", impl_->url("/jobs/" + seg(job_id) + "/tasks"), &body);
}

std::vector<TaskAddResult> BatchClient::add_tasks(const std::string& job_id,
                                                  const std::vector<TaskSpec>& tasks) {
  constexpr size_t kMaxPerRequest = 100;  // the service's limit for addtaskcollection
  const std::string url = impl_->url("/jobs/" + seg(job_id) + "/addtaskcollection");
  std::vector<TaskAddResult> results;
  std::optional<ServiceError> first_client_error;

  // Sends tasks[begin, end); halves the chunk when the body is too large (413).
  std::function<void(size_t, size_t)> send_chunk = [&](size_t begin, size_t end) {
    std::vector<const TaskSpec*> pending;
    for (size_t i = begin; i < end; ++i) pending.push_back(&tasks[i]);
    for (int round = 0; !pending.empty(); ++round) {
      json body = {{"value", json::array()}};
      for (const TaskSpec* t : pending) body["value"].push_back(to_json(*t));
      http::ClientResponse r;
      try {
        r = impl_->call("POST", url, &body);
      } catch (const ServiceError& e) {
        if (e.status() == 413 && end - begin > 1) {
          size_t mid = begin + (end - begin) / 2;
          send_chunk(begin, mid);
          send_chunk(mid, end);
          return;
        }
        throw;
      }
      json j = json::parse(r.body, nullptr, false);
      std::vector<const TaskSpec*> retry;
      for (const auto& v : j.value("value", json::array())) {
        TaskAddResult res;
        res.task_id = v.value("taskId", "");
        res.status = v.value("status", "");
        if (auto e = v.find("error"); e != v.end() && e->is_object()) {
          res.error_code = e->value("code", "");
          if (auto m = e->find("message"); m != e->end() && m->is_object())
            res.error_message = m->value("value", "");
        }
        if (res.status == "serverError" && round < 3) {
          for (const TaskSpec* t : pending)
            if (t->id == res.task_id) retry.push_back(t);
          continue;
        }
        if (res.status == "clientError" && !first_client_error)
          first_client_error.emplace(400, res.error_code,
                                     "task " + res.task_id + ": " + res.error_message, "");
        results.push_back(std::move(res));
      }
      if (!retry.empty()) detail::wait_before_retry(RetryPolicy{}, round + 1, nullptr);
      pending = std::move(retry);
    }
  };
  for (size_t begin = 0; begin < tasks.size(); begin += kMaxPerRequest)
    send_chunk(begin, std::min(tasks.size(), begin + kMaxPerRequest));
  if (first_client_error) throw *first_client_error;
  return results;
}

Task BatchClient::get_task(const std::string& job_id, const std::string& task_id, const ListOptions& o) {
  return task_from_json(impl_->get_json(impl_->url("/jobs/" + seg(job_id) + "/tasks/" + seg(task_id), o)));
}

std::vector<Task> BatchClient::list_tasks(const std::string& job_id, const ListOptions& o) {
  return impl_->all<Task>(impl_->url("/jobs/" + seg(job_id) + "/tasks", o), task_from_json);
}

BatchPage<Task> BatchClient::list_tasks_page(const std::string& job_id, const ListOptions& o,
                                             const std::string& next_link) {
  return impl_->page<Task>(next_link.empty() ? impl_->url("/jobs/" + seg(job_id) + "/tasks", o) : next_link,
                           task_from_json);
}

void BatchClient::terminate_task(const std::string& job_id, const std::string& task_id) {
  impl_->call("POST", impl_->url("/jobs/" + seg(job_id) + "/tasks/" + seg(task_id) + "/terminate"));
}

void BatchClient::delete_task(const std::string& job_id, const std::string& task_id) {
  impl_->call("DELETE", impl_->url("/jobs/" + seg(job_id) + "/tasks/" + seg(task_id)));
}

// ---- nodes and files

std::vector<ComputeNode> BatchClient::list_nodes(const std::string& pool_id, const ListOptions& o) {
  return impl_->all<ComputeNode>(impl_->url("/pools/" + seg(pool_id) + "/nodes", o), node_from_json);
}

ComputeNode BatchClient::get_node(const std::string& pool_id, const std::string& node_id) {
  return node_from_json(impl_->get_json(impl_->url("/pools/" + seg(pool_id) + "/nodes/" + seg(node_id))));
}

std::vector<NodeFile> BatchClient::list_task_files(const std::string& job_id, const std::string& task_id,
                                                   bool recursive) {
  return impl_->all<NodeFile>(
      impl_->url("/jobs/" + seg(job_id) + "/tasks/" + seg(task_id) + "/files", {},
                 recursive ? "&recursive=true" : ""),
      node_file_from_json);
}

std::string BatchClient::get_task_file(const std::string& job_id, const std::string& task_id,
                                       const std::string& path) {
  return impl_->call("GET", impl_->url("/jobs/" + seg(job_id) + "/tasks/" + seg(task_id) + "/files/" +
                                       file_path(path)))
      .body;
}

std::vector<NodeFile> BatchClient::list_node_files(const std::string& pool_id, const std::string& node_id,
                                                   bool recursive) {
  return impl_->all<NodeFile>(
      impl_->url("/pools/" + seg(pool_id) + "/nodes/" + seg(node_id) + "/files", {},
                 recursive ? "&recursive=true" : ""),
      node_file_from_json);
}

std::string BatchClient::get_node_file(const std::string& pool_id, const std::string& node_id,
                                       const std::string& path) {
  return impl_->call("GET", impl_->url("/pools/" + seg(pool_id) + "/nodes/" + seg(node_id) + "/files/" +
                                       file_path(path)))
      .body;
}

}  // namespace kiln::client
