// kiln_tutorial_task: the task program of the Batch tutorial, in C++.
//
// Each task runs it on a compute node with its input file (a resource file in
// the task's working directory):
//   kiln_tutorial_task --filepath taskdata1.txt --numwords 3 --storageaccount ACCOUNT
//       --storagecontainer output --sastoken "<container SAS>" [--blobendpoint URL]
// It writes taskdata1_OUTPUT.txt with the node, task, job and pool ids from the
// Batch environment and the top N words, then uploads it to the container using
// the SAS (which must grant write). --blobendpoint defaults to Azure's
// https://ACCOUNT.blob.core.windows.net. KILN_CA_FILE names an extra CA
// certificate to trust (a local Kiln serving HTTPS with its own certificate).
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <CLI/CLI.hpp>

#include "kiln/blob_client.h"
#include "kiln/errors.h"
#include "word_count.h"

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Counts the top N words of a file and uploads the result to Blob Storage"};
  std::string filepath, account, container, sas, endpoint;
  size_t numwords = 3;
  app.add_option("--filepath", filepath, "Input text file")->required();
  app.add_option("--numwords", numwords, "How many of the most frequent words to report")->required();
  app.add_option("--storageaccount", account, "Storage account of the output container")->required();
  app.add_option("--storagecontainer", container, "Container the output is uploaded to")->required();
  app.add_option("--sastoken", sas, "SAS token granting write access to the container")->required();
  app.add_option("--blobendpoint", endpoint, "Blob endpoint (default: Azure's for the account)");
  CLI11_PARSE(app, argc, argv);

  std::ifstream in(filepath, std::ios::binary);
  if (!in) {
    std::cerr << "cannot read input file " << filepath << "\n";
    return 1;
  }
  std::stringstream text;
  text << in.rdbuf();

  std::filesystem::path input(filepath);
  std::string output_name = input.stem().string() + "_OUTPUT" + input.extension().string();
  {
    std::ofstream out(output_name);
    out << "------------------------------\n"
        << "Node: " << env("AZ_BATCH_NODE_ID") << "\n"
        << "Task: " << env("AZ_BATCH_TASK_ID") << "\n"
        << "Job:  " << env("AZ_BATCH_JOB_ID") << "\n"
        << "Pool: " << env("AZ_BATCH_POOL_ID") << "\n"
        << "------------------------------\n";
    for (const auto& [word, count] : kiln::examples::top_words(text.str(), numwords))
      out << word << ": " << count << "\n";
    if (!out.flush()) {
      std::cerr << "cannot write " << output_name << "\n";
      return 1;
    }
  }

  if (endpoint.empty()) endpoint = "https://" + account + ".blob.core.windows.net";
  try {
    kiln::client::ClientOptions client_options;
    // A private CA to trust, e.g. a local Kiln's development certificate.
    client_options.ca_file = env("KILN_CA_FILE");
    kiln::client::BlobServiceClient blobs(endpoint, kiln::client::SasToken{sas}, client_options);
    kiln::client::UploadOptions options;
    options.content_type = "text/plain";
    blobs.upload_file(container, output_name, output_name, options);
  } catch (const kiln::client::Error& e) {
    std::cerr << "uploading " << output_name << " to container " << container << " failed: " << e.what()
              << "\n";
    return 1;
  }
  std::cout << "Uploaded " << output_name << " to container [" << container << "]\n";
  return 0;
}
