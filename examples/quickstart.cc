// kiln_client_quickstart: the C++ client library in one page. Uploads a file,
// runs one task that reads it (through a SAS URL), waits, prints its stdout,
// and cleans up. Against `kiln serve` by default; set KILN_BLOB_ENDPOINT,
// KILN_BATCH_ENDPOINT, KILN_ACCOUNT_NAME, KILN_ACCOUNT_KEY for another server
// or for Azure.
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "kiln/batch_client.h"
#include "kiln/blob_client.h"
#include "kiln/errors.h"

using namespace kiln::client;

static std::string env_or(const char* name, std::string fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

int main() {
  SharedKeyCredential key{env_or("KILN_ACCOUNT_NAME", std::string(kDevelopmentAccount)),
                          env_or("KILN_ACCOUNT_KEY", std::string(kDevelopmentKey))};
  BlobServiceClient blobs(env_or("KILN_BLOB_ENDPOINT", "http://127.0.0.1:10000/devstoreaccount1"), key);
  BatchClient batch(env_or("KILN_BATCH_ENDPOINT", "http://127.0.0.1:10100"), key);
  try {
    blobs.create_container_if_not_exists("quickstart");
    blobs.upload("quickstart", "data.txt", "hello from blob storage\n");
    SasOptions read{.permissions = BlobSasPermissions::read_only(),
                    .expiry = std::chrono::system_clock::now() + std::chrono::hours(1)};
    std::string url = blobs.blob_url("quickstart", "data.txt") + "?" +
                      blobs.generate_blob_sas("quickstart", "data.txt", read);

    batch.add_pool({.id = "quickstart-pool", .vm_size = "standard_a1_v2",
                    .image_reference = {"canonical", "0001-com-ubuntu-server-focal", "20_04-lts"},
                    .node_agent_sku_id = "batch.node.ubuntu 20.04", .target_dedicated_nodes = 1});
    batch.add_job({.id = "quickstart-job", .pool_id = "quickstart-pool"});
    batch.add_tasks("quickstart-job", {{.id = "t1", .command_line = "/bin/cat data.txt",
                                        .resource_files = {{.http_url = url, .file_path = "data.txt"}}}});
    auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
    while (batch.get_task("quickstart-job", "t1").state != "completed") {
      if (std::chrono::steady_clock::now() > deadline) throw Error("task t1 did not complete in 2 minutes");
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    Task t = batch.get_task("quickstart-job", "t1");
    std::cout << "t1 exit code " << t.execution_info.exit_code.value_or(-1) << ", stdout: "
              << batch.get_task_file("quickstart-job", "t1", "stdout.txt");
    batch.delete_job("quickstart-job");
    batch.delete_pool("quickstart-pool");
    blobs.delete_container("quickstart");
    return t.execution_info.result == "success" ? 0 : 1;
  } catch (const ServiceError& e) {
    std::cerr << e.code() << " (HTTP " << e.status() << "): " << e.message() << "\n";
  } catch (const Error& e) {
    std::cerr << e.what() << "\n";
  }
  return 1;
}
