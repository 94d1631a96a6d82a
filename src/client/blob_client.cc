#include "kiln/blob_client.h"

#include <cstdio>
#include <strings.h>
#include <filesystem>
#include <fstream>

#include <pugixml.hpp>

#include "client/pipeline.h"
#include "core/crypto.h"
#include "core/url.h"

namespace kiln::client {

struct BlobServiceClient::Impl {
  std::string endpoint;
  detail::Pipeline pipeline;

  template <class Auth>
  Impl(std::string e, Auth auth, ClientOptions o)
      : endpoint(std::move(e)), pipeline(shared_key::Service::kBlob, std::move(auth), o) {
    while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  }

  http::ClientResponse send(std::string_view method, const std::string& url, http::Headers h = {},
                            std::string_view body = {}) {
    return pipeline.send(method, url, std::move(h), body);
  }
};

namespace {

pugi::xml_document parse_xml(const std::string& body) {
  pugi::xml_document doc;
  if (!doc.load_buffer(body.data(), body.size()))
    throw Error("the Blob service returned a listing that is not valid XML");
  return doc;
}

std::string list_query(const std::string& prefix, const std::string& marker, int max_results) {
  std::string q;
  if (!prefix.empty()) q += "&prefix=" + url::encode(prefix);
  if (!marker.empty()) q += "&marker=" + url::encode(marker);
  if (max_results > 0) q += "&maxresults=" + std::to_string(max_results);
  return q;
}

void add_metadata(http::Headers& h, const std::map<std::string, std::string>& metadata) {
  for (const auto& [k, v] : metadata) h.set("x-ms-meta-" + k, v);
}

uint64_t to_u64(const char* s) { return s && *s ? std::strtoull(s, nullptr, 10) : 0; }

// Block ids must be base64 and of equal length within a blob.
std::string block_id(size_t index) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "kiln-block-%08zu", index);
  return crypto::base64_encode(buf);
}

}  // namespace

BlobServiceClient::BlobServiceClient(std::string endpoint, SharedKeyCredential credential,
                                     ClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(endpoint), std::move(credential), options)) {}

BlobServiceClient::BlobServiceClient(std::string endpoint, SasToken sas, ClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(endpoint), std::move(sas.token), options)) {}

BlobServiceClient BlobServiceClient::from_connection_string(std::string_view text,
                                                            ClientOptions options) {
  ConnectionString cs = ConnectionString::parse(text);
  return BlobServiceClient(cs.blob_endpoint, cs.credential(), options);
}

BlobServiceClient::~BlobServiceClient() = default;
BlobServiceClient::BlobServiceClient(BlobServiceClient&&) noexcept = default;
BlobServiceClient& BlobServiceClient::operator=(BlobServiceClient&&) noexcept = default;

const std::string& BlobServiceClient::endpoint() const { return impl_->endpoint; }
const SharedKeyCredential& BlobServiceClient::credential() const {
  return impl_->pipeline.credential();
}

std::string BlobServiceClient::container_url(const std::string& container) const {
  return impl_->endpoint + "/" + url::encode(container);
}

std::string BlobServiceClient::blob_url(const std::string& container, const std::string& blob) const {
  return container_url(container) + "/" + url::encode(blob, /*keep_slash=*/true);
}

// ---- containers

void BlobServiceClient::create_container(const std::string& name) {
  impl_->send("PUT", container_url(name) + "?restype=container");
}

bool BlobServiceClient::create_container_if_not_exists(const std::string& name) {
  try {
    create_container(name);
    return true;
  } catch (const ServiceError& e) {
    if (e.code() == "ContainerAlreadyExists") return false;
    throw;
  }
}

void BlobServiceClient::delete_container(const std::string& name) {
  impl_->send("DELETE", container_url(name) + "?restype=container");
}

ListPage<ContainerItem> BlobServiceClient::list_containers_page(const std::string& prefix,
                                                                const std::string& marker,
                                                                int max_results) {
  auto r = impl_->send("GET", impl_->endpoint + "/?comp=list" + list_query(prefix, marker, max_results));
  auto doc = parse_xml(r.body);
  auto root = doc.child("EnumerationResults");
  ListPage<ContainerItem> page;
  for (auto c : root.child("Containers").children("Container")) {
    auto props = c.child("Properties");
    page.items.push_back({c.child_value("Name"), props.child_value("Etag"),
                          props.child_value("Last-Modified")});
  }
  page.next_marker = root.child_value("NextMarker");
  return page;
}

std::vector<ContainerItem> BlobServiceClient::list_containers(const std::string& prefix) {
  std::vector<ContainerItem> all;
  std::string marker;
  do {
    auto page = list_containers_page(prefix, marker);
    all.insert(all.end(), page.items.begin(), page.items.end());
    marker = page.next_marker;
  } while (!marker.empty());
  return all;
}

// ---- blobs

void BlobServiceClient::upload(const std::string& container, const std::string& blob,
                               std::string_view data, const UploadOptions& options) {
  http::Headers h;
  h.set("x-ms-blob-type", "BlockBlob");
  h.set("Content-Type", options.content_type);
  if (!options.overwrite) h.set("If-None-Match", "*");
  add_metadata(h, options.metadata);
  impl_->send("PUT", blob_url(container, blob), std::move(h), data);
}

void BlobServiceClient::upload_file(const std::string& container, const std::string& blob,
                                    const std::string& path, const UploadOptions& options,
                                    const ProgressCallback& progress) {
  std::error_code ec;
  uint64_t size = std::filesystem::file_size(path, ec);
  if (ec) throw Error("cannot read " + path + ": " + ec.message());
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open " + path);
  if (size <= options.single_put_threshold) {
    std::string data(size, '\0');
    in.read(data.data(), std::streamsize(size));
    if (uint64_t(in.gcount()) != size) throw Error("short read from " + path);
    if (progress) progress(0, size);
    upload(container, blob, data, options);
    if (progress) progress(size, size);
    return;
  }
  // Staged upload: Put Block for each chunk, then commit them with Put Block List.
  std::string url = blob_url(container, blob);
  if (!options.overwrite) {
    // Fail before sending any data; If-None-Match on the commit still closes the race.
    try {
      auto existing = impl_->send("HEAD", url);
      throw ServiceError(409, "BlobAlreadyExists", "The specified blob already exists.",
                         existing.headers.get("x-ms-request-id"));
    } catch (const ServiceError& e) {
      if (e.status() != 404) throw;
    }
  }
  std::string chunk;
  std::string list = "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>";
  uint64_t done = 0;
  if (progress) progress(0, size);
  for (size_t index = 0; done < size; ++index) {
    chunk.resize(std::min<uint64_t>(options.block_size, size - done));
    in.read(chunk.data(), std::streamsize(chunk.size()));
    if (uint64_t(in.gcount()) != chunk.size()) throw Error("short read from " + path);
    std::string id = block_id(index);
    http::Headers h;
    h.set("Content-MD5", crypto::base64_encode(crypto::md5(chunk)));
    impl_->send("PUT", url + "?comp=block&blockid=" + url::encode(id), std::move(h), chunk);
    list += "<Latest>" + id + "</Latest>";
    done += chunk.size();
    if (progress) progress(done, size);
  }
  list += "</BlockList>";
  http::Headers h;
  h.set("Content-Type", "application/xml");
  h.set("x-ms-blob-content-type", options.content_type);
  if (!options.overwrite) h.set("If-None-Match", "*");
  add_metadata(h, options.metadata);
  impl_->send("PUT", url + "?comp=blocklist", std::move(h), list);
}

std::string BlobServiceClient::download(const std::string& container, const std::string& blob,
                                        uint64_t offset, std::optional<uint64_t> length) {
  http::Headers h;
  if (length) {
    if (*length == 0) return {};
    h.set("x-ms-range", "bytes=" + std::to_string(offset) + "-" + std::to_string(offset + *length - 1));
  } else if (offset > 0) {
    h.set("x-ms-range", "bytes=" + std::to_string(offset) + "-");
  }
  return impl_->send("GET", blob_url(container, blob), std::move(h)).body;
}

void BlobServiceClient::download_to_file(const std::string& container, const std::string& blob,
                                         const std::string& path, const ProgressCallback& progress) {
  constexpr uint64_t kChunk = 8ull << 20;
  BlobProperties props = get_properties(container, blob);
  std::string partial = path + ".kiln-partial";
  {
    std::ofstream out(partial, std::ios::binary | std::ios::trunc);
    if (!out) throw Error("cannot write " + partial);
    std::string url = blob_url(container, blob);
    uint64_t done = 0;
    if (progress) progress(0, props.content_length);
    while (done < props.content_length) {
      uint64_t n = std::min(kChunk, props.content_length - done);
      http::Headers h;
      h.set("x-ms-range", "bytes=" + std::to_string(done) + "-" + std::to_string(done + n - 1));
      // A blob replaced mid-download fails with ConditionNotMet instead of mixing versions.
      if (!props.etag.empty()) h.set("If-Match", props.etag);
      auto r = impl_->send("GET", url, std::move(h));
      if (r.body.size() != n) throw Error("short range read of " + container + "/" + blob);
      out.write(r.body.data(), std::streamsize(n));
      done += n;
      if (progress) progress(done, props.content_length);
    }
    out.close();
    if (!out) throw Error("cannot write " + partial);
  }
  std::error_code ec;
  std::filesystem::rename(partial, path, ec);
  if (ec) throw Error("cannot rename " + partial + " to " + path + ": " + ec.message());
}

BlobProperties BlobServiceClient::get_properties(const std::string& container, const std::string& blob) {
  auto r = impl_->send("HEAD", blob_url(container, blob));
  BlobProperties p;
  p.content_length = to_u64(r.headers.get("Content-Length").c_str());
  p.content_type = r.headers.get("Content-Type");
  p.etag = r.headers.get("ETag");
  p.last_modified = r.headers.get("Last-Modified");
  p.content_md5 = r.headers.get("Content-MD5");
  for (const auto& [k, v] : r.headers.all()) {
    if (k.size() > 10 && strncasecmp(k.c_str(), "x-ms-meta-", 10) == 0) p.metadata[k.substr(10)] = v;
  }
  return p;
}

void BlobServiceClient::delete_blob(const std::string& container, const std::string& blob) {
  impl_->send("DELETE", blob_url(container, blob));
}

ListPage<BlobItem> BlobServiceClient::list_blobs_page(const std::string& container,
                                                      const std::string& prefix,
                                                      const std::string& marker, int max_results) {
  auto r = impl_->send("GET", container_url(container) + "?restype=container&comp=list" +
                                  list_query(prefix, marker, max_results));
  auto doc = parse_xml(r.body);
  auto root = doc.child("EnumerationResults");
  ListPage<BlobItem> page;
  for (auto b : root.child("Blobs").children("Blob")) {
    auto props = b.child("Properties");
    BlobItem item;
    item.name = b.child_value("Name");
    item.content_length = to_u64(props.child_value("Content-Length"));
    item.content_type = props.child_value("Content-Type");
    item.etag = props.child_value("Etag");
    item.last_modified = props.child_value("Last-Modified");
    item.blob_type = props.child_value("BlobType");
    page.items.push_back(std::move(item));
  }
  page.next_marker = root.child_value("NextMarker");
  return page;
}

std::vector<BlobItem> BlobServiceClient::list_blobs(const std::string& container,
                                                    const std::string& prefix) {
  std::vector<BlobItem> all;
  std::string marker;
  do {
    auto page = list_blobs_page(container, prefix, marker);
    all.insert(all.end(), page.items.begin(), page.items.end());
    marker = page.next_marker;
  } while (!marker.empty());
  return all;
}

std::string BlobServiceClient::generate_blob_sas(const std::string& container, const std::string& blob,
                                                 const SasOptions& options) const {
  return client::generate_blob_sas(credential(), container, blob, options);
}

std::string BlobServiceClient::generate_container_sas(const std::string& container,
                                                      const SasOptions& options) const {
  return client::generate_container_sas(credential(), container, options);
}

}  // namespace kiln::client
