#include "batch/model.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <cstdio>

#include "batch/errors.h"
#include "core/time_format.h"

namespace kiln::batch {

int64_t now_us() { return timefmt::to_micros(timefmt::now()); }

std::string iso_time(int64_t us) { return timefmt::iso8601(timefmt::from_micros(us), 7); }

std::string new_etag() {
  // .NET ticks (100 ns since 0001-01-01), as Azure's ETags are; strictly increasing.
  static std::atomic<uint64_t> last{0};
  uint64_t ticks = uint64_t(now_us()) * 10 + 621355968000000000ull;
  uint64_t prev = last.load();
  while (true) {
    uint64_t next = std::max(ticks, prev + 1);
    if (last.compare_exchange_weak(prev, next)) {
      ticks = next;
      break;
    }
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llX", static_cast<unsigned long long>(ticks));
  return buf;
}


bool valid_id(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

std::optional<int64_t> parse_duration_us(const std::string& s) {
  if (s.size() < 2 || s[0] != 'P') return std::nullopt;
  double total_s = 0;
  bool in_time = false, any = false;
  size_t i = 1;
  while (i < s.size()) {
    if (s[i] == 'T') {
      if (in_time) return std::nullopt;
      in_time = true;
      ++i;
      continue;
    }
    size_t j = i;
    while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.')) ++j;
    if (j == i || j >= s.size()) return std::nullopt;
    double v;
    try {
      v = std::stod(s.substr(i, j - i));
    } catch (...) {
      return std::nullopt;
    }
    char unit = s[j];
    if (!in_time && unit == 'D') total_s += v * 86400;
    else if (!in_time && unit == 'W') total_s += v * 7 * 86400;
    else if (in_time && unit == 'H') total_s += v * 3600;
    else if (in_time && unit == 'M') total_s += v * 60;
    else if (in_time && unit == 'S') total_s += v;
    else return std::nullopt;
    any = true;
    i = j + 1;
  }
  if (!any) return std::nullopt;
  if (total_s >= 9.2e11) return INT64_MAX;  // TimeSpan.MaxValue: unlimited
  return int64_t(std::llround(total_s * 1e6));
}

std::string format_duration(int64_t us) {
  if (us >= int64_t(9.2e17)) return kMaxDuration;
  int64_t days = us / 86400000000LL;
  us %= 86400000000LL;
  int64_t h = us / 3600000000LL;
  us %= 3600000000LL;
  int64_t m = us / 60000000LL;
  us %= 60000000LL;
  std::string out = "P";
  if (days) out += std::to_string(days) + "D";
  if (h || m || us || !days) {
    out += "T";
    if (h) out += std::to_string(h) + "H";
    if (m) out += std::to_string(m) + "M";
    if (us || (!h && !m)) {
      char buf[40];
      if (us % 1000000 == 0) std::snprintf(buf, sizeof buf, "%lldS", (long long)(us / 1000000));
      else std::snprintf(buf, sizeof buf, "%lld.%06lldS", (long long)(us / 1000000), (long long)(us % 1000000));
      out += buf;
    }
  }
  return out;
}

namespace {
std::string join(const std::string& path, const char* name) {
  return path.empty() ? std::string(name) : path + "." + name;
}
std::string shown(const Json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }
}  // namespace

const Json& require(const Json& obj, const char* name, const std::string& path) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) throw errors::missing_property(join(path, name));
  return *it;
}

std::string req_string(const Json& obj, const char* name, const std::string& path) {
  const Json& v = require(obj, name, path);
  if (!v.is_string()) throw errors::invalid_request_body("'" + join(path, name) + "' must be a string");
  return v.get<std::string>();
}

std::optional<std::string> opt_string(const Json& obj, const char* name, const std::string& path) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) throw errors::invalid_request_body("'" + join(path, name) + "' must be a string");
  return it->get<std::string>();
}

std::optional<int64_t> opt_int(const Json& obj, const char* name, const std::string& path,
                               int64_t min, int64_t max) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer())
    throw errors::invalid_request_body("'" + join(path, name) + "' must be an integer");
  int64_t v = it->get<int64_t>();
  if (v < min || v > max) throw errors::invalid_property(join(path, name), shown(*it));
  return v;
}

std::optional<bool> opt_bool(const Json& obj, const char* name, const std::string& path) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return std::nullopt;
  if (!it->is_boolean()) throw errors::invalid_request_body("'" + join(path, name) + "' must be a boolean");
  return it->get<bool>();
}

std::optional<std::string> opt_duration(const Json& obj, const char* name, const std::string& path) {
  auto s = opt_string(obj, name, path);
  if (s && !parse_duration_us(*s)) throw errors::invalid_property(join(path, name), *s);
  return s;
}

Json parse_body(const std::string& body) {
  Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded()) throw errors::invalid_request_body("malformed JSON");
  if (!j.is_object()) throw errors::invalid_request_body("the body must be a JSON object");
  return j;
}

namespace {
const Json& opt_array(const Json& obj, const char* name, const std::string& path) {
  static const Json empty = Json::array();
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return empty;
  if (!it->is_array()) throw errors::invalid_request_body("'" + join(path, name) + "' must be an array");
  return *it;
}
void require_object(const Json& v, const std::string& path) {
  if (!v.is_object()) throw errors::invalid_request_body("'" + path + "' must be an object");
}
}  // namespace

void validate_environment(const Json& obj, const char* name, const std::string& path) {
  for (const Json& e : opt_array(obj, name, path)) {
    require_object(e, join(path, name));
    std::string n = req_string(e, "name", join(path, name));
    if (n.empty()) throw errors::invalid_property(join(path, name) + ".name", n);
    opt_string(e, "value", join(path, name));
  }
}

void validate_metadata(const Json& obj, const char* name, const std::string& path) {
  for (const Json& e : opt_array(obj, name, path)) {
    require_object(e, join(path, name));
    req_string(e, "name", join(path, name));
    req_string(e, "value", join(path, name));
  }
}

void validate_resource_files(const Json& obj, const char* name, const std::string& path) {
  for (const Json& f : opt_array(obj, name, path)) {
    std::string p = join(path, name);
    require_object(f, p);
    auto http = opt_string(f, "httpUrl", p);
    auto container = opt_string(f, "storageContainerUrl", p);
    auto auto_container = opt_string(f, "autoStorageContainerName", p);
    int sources = int(bool(http)) + int(bool(container)) + int(bool(auto_container));
    if (sources == 0) throw errors::missing_property(p + ".httpUrl");
    if (sources > 1) throw errors::invalid_property(p, "", "Exactly one of httpUrl, storageContainerUrl or autoStorageContainerName must be specified");
    if (auto_container) throw errors::not_supported("autoStorageContainerName");
    auto file_path = opt_string(f, "filePath", p);
    if (http && (!file_path || file_path->empty())) throw errors::missing_property(p + ".filePath");
    if (file_path && (file_path->find("..") != std::string::npos || (!file_path->empty() && (*file_path)[0] == '/')))
      throw errors::invalid_property(p + ".filePath", *file_path, "The file path must be relative and may not contain '..'");
    auto mode = opt_string(f, "fileMode", p);
    if (mode && (mode->empty() || mode->size() > 4 ||
                 !std::all_of(mode->begin(), mode->end(), [](char c) { return c >= '0' && c <= '7'; })))
      throw errors::invalid_property(p + ".fileMode", *mode);
  }
}

void validate_user_identity(const Json& obj, const std::string& path) {
  auto it = obj.find("userIdentity");
  if (it == obj.end() || it->is_null()) return;
  std::string p = join(path, "userIdentity");
  require_object(*it, p);
  auto user = opt_string(*it, "username", p);
  auto au = it->find("autoUser");
  if (user && au != it->end() && !au->is_null())
    throw errors::invalid_property(p, "", "Only one of username and autoUser may be specified");
  if (au != it->end() && !au->is_null()) {
    require_object(*au, p + ".autoUser");
    auto scope = opt_string(*au, "scope", p + ".autoUser");
    if (scope && *scope != "task" && *scope != "pool")
      throw errors::invalid_property(p + ".autoUser.scope", *scope);
    auto elev = opt_string(*au, "elevationLevel", p + ".autoUser");
    if (elev && *elev != "nonadmin" && *elev != "admin")
      throw errors::invalid_property(p + ".autoUser.elevationLevel", *elev);
  }
}

void validate_start_task(const Json& st, const std::string& path) {
  require_object(st, path);
  req_string(st, "commandLine", path);
  validate_resource_files(st, "resourceFiles", path);
  validate_environment(st, "environmentSettings", path);
  validate_user_identity(st, path);
  opt_int(st, "maxTaskRetryCount", path, -1, INT32_MAX);
  opt_bool(st, "waitForSuccess", path);
  if (st.contains("containerSettings") && !st["containerSettings"].is_null())
    throw errors::not_supported("containerSettings");
}

namespace {
const VmSize kVmSizes[] = {
    {"standard_a1_v2", 1, 2048},      {"standard_a2_v2", 2, 4096},
    {"standard_a4_v2", 4, 8192},      {"standard_a8_v2", 8, 16384},
    {"standard_a2m_v2", 2, 16384},    {"standard_a4m_v2", 4, 32768},
    {"standard_b1s", 1, 1024},        {"standard_b1ms", 1, 2048},
    {"standard_b2s", 2, 4096},        {"standard_b2ms", 2, 8192},
    {"standard_d1_v2", 1, 3584},      {"standard_d2_v2", 2, 7168},
    {"standard_d3_v2", 4, 14336},     {"standard_d4_v2", 8, 28672},
    {"standard_ds1_v2", 1, 3584},     {"standard_ds2_v2", 2, 7168},
    {"standard_ds3_v2", 4, 14336},    {"standard_ds4_v2", 8, 28672},
    {"standard_d2_v3", 2, 8192},      {"standard_d4_v3", 4, 16384},
    {"standard_d8_v3", 8, 32768},     {"standard_d16_v3", 16, 65536},
    {"standard_d2s_v3", 2, 8192},     {"standard_d4s_v3", 4, 16384},
    {"standard_d8s_v3", 8, 32768},    {"standard_d16s_v3", 16, 65536},
    {"standard_d32s_v3", 32, 131072}, {"standard_d64s_v3", 64, 262144},
    {"standard_d2_v4", 2, 8192},      {"standard_d4_v4", 4, 16384},
    {"standard_d2s_v4", 2, 8192},     {"standard_d4s_v4", 4, 16384},
    {"standard_d2ds_v4", 2, 8192},    {"standard_d2as_v4", 2, 8192},
    {"standard_d2s_v5", 2, 8192},     {"standard_d4s_v5", 4, 16384},
    {"standard_d2ds_v5", 2, 8192},    {"standard_d2as_v5", 2, 8192},
    {"standard_e2s_v3", 2, 16384},    {"standard_e4s_v3", 4, 32768},
    {"standard_f1s", 1, 2048},        {"standard_f2s_v2", 2, 4096},
    {"standard_f4s_v2", 4, 8192},     {"standard_f8s_v2", 8, 16384},
    {"standard_nc6", 6, 57344},       {"standard_hb120rs_v3", 120, 458752},
};
}  // namespace

const VmSize* find_vm_size(const std::string& name) {
  std::string n = lower(name);
  for (const VmSize& s : kVmSizes)
    if (n == s.name) return &s;
  return nullptr;
}

namespace {
struct Image {
  const char* publisher;
  const char* offer;
  const char* sku;
  const char* agent_sku;
  const char* end_of_life;  // "" if none announced
};
const Image kImages[] = {
    {"canonical", "0001-com-ubuntu-server-focal", "20_04-lts", "batch.node.ubuntu 20.04", "2025-04-23T00:00:00Z"},
    {"canonical", "0001-com-ubuntu-server-jammy", "22_04-lts", "batch.node.ubuntu 22.04", ""},
    {"canonical", "ubuntu-24_04-lts", "server", "batch.node.ubuntu 24.04", ""},
    {"microsoft-azure-batch", "ubuntu-server-container", "20-04-lts", "batch.node.ubuntu 20.04", "2025-04-23T00:00:00Z"},
    {"debian", "debian-11", "11", "batch.node.debian 11", ""},
    {"debian", "debian-12", "12", "batch.node.debian 12", ""},
};
}  // namespace

Json supported_images() {
  Json out = Json::array();
  for (const Image& im : kImages) {
    Json j = {{"nodeAgentSKUId", im.agent_sku},
              {"imageReference",
               {{"publisher", im.publisher}, {"offer", im.offer}, {"sku", im.sku}, {"version", "latest"}}},
              {"osType", "linux"},
              {"verificationType", "verified"}};
    if (*im.end_of_life) j["batchSupportEndOfLife"] = im.end_of_life;
    out.push_back(std::move(j));
  }
  return out;
}

bool known_node_agent_sku(const std::string& sku) {
  std::string s = lower(sku);
  return s.rfind("batch.node.", 0) == 0 && s.find("windows") == std::string::npos;
}

}  // namespace kiln::batch
