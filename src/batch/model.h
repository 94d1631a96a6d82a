// Value helpers shared by the Batch entity model: times and ETags as Azure
// writes them, id rules, ISO 8601 durations, typed reads of request bodies that
// raise Azure's validation errors, and the VM size / image catalogue.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/text.h"

namespace kiln::batch {

using Json = nlohmann::json;

int64_t now_us();
std::string iso_time(int64_t us);  // "2023-01-02T03:04:05.1234567Z"
std::string new_etag();            // "0x8DB..." unique, increasing
inline std::string lower(const std::string& s) { return text::lower(s); }  // also takes JSON strings

// Azure's id rule for pools, jobs and tasks: 1..64 letters, digits, '-' or '_'.
bool valid_id(const std::string& id);

// ISO 8601 durations ("PT1H30M", "P7D", "PT0.5S"); nullopt when malformed.
std::optional<int64_t> parse_duration_us(const std::string& s);
std::string format_duration(int64_t us);
// Azure's "unlimited" TimeSpan.MaxValue, as the service returns it.
inline constexpr const char* kMaxDuration = "P10675199DT2H48M5.4775807S";

// Typed, validated reads from a request body object. `path` names the property
// in errors as Azure does (e.g. "startTask.commandLine").
const Json& require(const Json& obj, const char* name, const std::string& path);
std::string req_string(const Json& obj, const char* name, const std::string& path);
std::optional<std::string> opt_string(const Json& obj, const char* name, const std::string& path);
std::optional<int64_t> opt_int(const Json& obj, const char* name, const std::string& path,
                               int64_t min, int64_t max);
std::optional<bool> opt_bool(const Json& obj, const char* name, const std::string& path);
// A duration property, validated; returns its original text.
std::optional<std::string> opt_duration(const Json& obj, const char* name, const std::string& path);
// Parses a request body; throws InvalidRequestBody unless it is a JSON object.
Json parse_body(const std::string& body);

// Validation of nested request types; each throws the Azure error for the first problem.
void validate_environment(const Json& obj, const char* name, const std::string& path);
void validate_metadata(const Json& obj, const char* name, const std::string& path);
void validate_resource_files(const Json& obj, const char* name, const std::string& path);
void validate_user_identity(const Json& obj, const std::string& path);
void validate_start_task(const Json& obj, const std::string& path);

struct VmSize {
  const char* name;  // lower case, as Azure returns it
  int cores;
  int64_t memory_mb;
};
const VmSize* find_vm_size(const std::string& name);  // case-insensitive

// The images `list_supported_images` reports (all map to the host OS).
Json supported_images();
bool known_node_agent_sku(const std::string& sku);

}  // namespace kiln::batch
