// `kiln blob upload|download|list|delete`, in the spirit of `az storage blob`.
#include <filesystem>
#include <iostream>

#include "cli/client_context.h"
#include "cli/commands.h"

namespace kiln::cli {
namespace {

struct BlobOptions {
  std::string container, name, file, prefix;
  bool overwrite = false;
  bool create_container = false;
};

int upload(ClientContext& ctx, BlobOptions& o) {
  if (o.name.empty()) o.name = std::filesystem::path(o.file).filename().string();
  auto blobs = ctx.blob_client();
  if (o.create_container) blobs.create_container_if_not_exists(o.container);
  client::UploadOptions options;
  options.overwrite = o.overwrite;
  ProgressBar bar("uploading " + o.name);
  blobs.upload_file(o.container, o.name, o.file, options,
                    [&bar](uint64_t done, uint64_t total) { bar.update(done, total); });
  bar.finish();
  if (ctx.json()) print_json({{"container", o.container}, {"name", o.name}, {"url", blobs.blob_url(o.container, o.name)}});
  else std::cout << "Uploaded " << o.file << " to " << blobs.blob_url(o.container, o.name) << "\n";
  return kExitOk;
}

int download(ClientContext& ctx, BlobOptions& o) {
  if (o.file.empty()) o.file = std::filesystem::path(o.name).filename().string();
  auto blobs = ctx.blob_client();
  ProgressBar bar("downloading " + o.name);
  blobs.download_to_file(o.container, o.name, o.file,
                         [&bar](uint64_t done, uint64_t total) { bar.update(done, total); });
  bar.finish();
  if (!ctx.json()) std::cout << "Downloaded " << o.container << "/" << o.name << " to " << o.file << "\n";
  return kExitOk;
}

int list(ClientContext& ctx, const BlobOptions& o) {
  auto items = ctx.blob_client().list_blobs(o.container, o.prefix);
  if (ctx.json()) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& b : items)
      a.push_back({{"name", b.name}, {"contentLength", b.content_length}, {"contentType", b.content_type},
                   {"etag", b.etag}, {"lastModified", b.last_modified}, {"blobType", b.blob_type}});
    print_json(a);
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& b : items)
    rows.push_back({b.name, std::to_string(b.content_length), b.content_type, b.last_modified});
  print_table({"NAME", "LENGTH", "CONTENT TYPE", "LAST MODIFIED"}, rows);
  return kExitOk;
}

}  // namespace

void add_blob_commands(CLI::App& app) {
  CLI::App* blob = app.add_subcommand("blob", "Upload, download, list and delete blobs");
  blob->require_subcommand(1);
  describe_exit_codes(blob);
  auto add = [blob](const char* name, const char* help, int (*fn)(ClientContext&, BlobOptions&)) {
    auto o = std::make_shared<BlobOptions>();
    CLI::App* cmd = blob->add_subcommand(name, help);
    auto ctx = add_client_options(cmd);
    cmd->add_option("-c,--container", o->container, "Container name")->required();
    std::string verb = std::string("blob ") + name;
    cmd->callback([ctx, o, verb, fn] { run_verb(ctx, verb, [o, fn](ClientContext& c) { return fn(c, *o); }); });
    return std::make_pair(cmd, o);
  };
  {
    auto [cmd, o] = add("upload", "Upload a file as a block blob", upload);
    cmd->add_option("-f,--file", o->file, "Local file")->required()->check(CLI::ExistingFile);
    cmd->add_option("-n,--name", o->name, "Blob name (default: the file's name)");
    cmd->add_flag("--overwrite", o->overwrite, "Replace an existing blob");
    cmd->add_flag("--create-container", o->create_container, "Create the container if it does not exist");
  }
  {
    auto [cmd, o] = add("download", "Download a blob to a file", download);
    cmd->add_option("-n,--name", o->name, "Blob name")->required();
    cmd->add_option("-f,--file", o->file, "Local file (default: the blob's name)");
  }
  {
    auto [cmd, o] = add("list", "List the blobs of a container",
                        [](ClientContext& c, BlobOptions& o) { return list(c, o); });
    cmd->add_option("--prefix", o->prefix, "Only names starting with this");
  }
  {
    auto [cmd, o] = add("delete", "Delete a blob", [](ClientContext& c, BlobOptions& o) {
      c.blob_client().delete_blob(o.container, o.name);
      if (!c.json()) std::cout << "Deleted " << o.container << "/" << o.name << "\n";
      return int(kExitOk);
    });
    cmd->add_option("-n,--name", o->name, "Blob name")->required();
  }
}

}  // namespace kiln::cli
