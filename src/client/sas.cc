#include "kiln/sas.h"

#include <chrono>

#include "core/time_format.h"
#include "core/url.h"

namespace kiln::client {
namespace {

std::string iso(std::chrono::system_clock::time_point t) {
  return timefmt::iso8601(std::chrono::time_point_cast<std::chrono::microseconds>(t), 0);
}

std::string build(const SharedKeyCredential& credential, const std::string& canonical_resource,
                  const std::string& resource, const SasOptions& o) {
  std::string sig = credential.sign(sas_string_to_sign(canonical_resource, resource, o));
  std::vector<std::pair<const char*, std::string>> params = {
      {"sv", o.version},
      {"sr", resource},
      {"st", o.start ? iso(*o.start) : ""},
      {"se", iso(o.expiry)},
      {"sp", o.permissions.to_string()},
      {"sip", o.ip_range},
      {"spr", o.protocol},
      {"si", o.identifier},
      {"rscc", o.cache_control},
      {"rscd", o.content_disposition},
      {"rsce", o.content_encoding},
      {"rscl", o.content_language},
      {"rsct", o.content_type},
      {"sig", sig},
  };
  std::string out;
  for (const auto& [name, value] : params) {
    if (value.empty()) continue;
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += url::encode(value, /*keep_slash=*/true);
  }
  return out;
}

}  // namespace

std::string BlobSasPermissions::to_string() const {
  std::string s;
  if (read) s += 'r';
  if (add) s += 'a';
  if (create) s += 'c';
  if (write) s += 'w';
  if (delete_) s += 'd';
  if (list) s += 'l';
  return s;
}

std::string sas_string_to_sign(const std::string& canonical_resource, const std::string& resource,
                               const SasOptions& o) {
  // Field order for signed versions 2020-12-06 and later (adds the encryption scope).
  const std::string fields[] = {
      o.permissions.to_string(),
      o.start ? iso(*o.start) : "",
      iso(o.expiry),
      canonical_resource,
      o.identifier,
      o.ip_range,
      o.protocol,
      o.version,
      resource,
      "",  // signed snapshot time
      "",  // signed encryption scope
      o.cache_control,
      o.content_disposition,
      o.content_encoding,
      o.content_language,
      o.content_type,
  };
  std::string s;
  for (size_t i = 0; i < std::size(fields); ++i) {
    if (i) s += '\n';
    s += fields[i];
  }
  return s;
}

std::string generate_blob_sas(const SharedKeyCredential& credential, const std::string& container,
                              const std::string& blob, const SasOptions& options) {
  return build(credential, "/blob/" + credential.account_name() + "/" + container + "/" + blob, "b",
               options);
}

std::string generate_container_sas(const SharedKeyCredential& credential,
                                   const std::string& container, const SasOptions& options) {
  return build(credential, "/blob/" + credential.account_name() + "/" + container, "c", options);
}

}  // namespace kiln::client
