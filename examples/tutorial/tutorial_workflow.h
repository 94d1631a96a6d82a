// The Batch tutorial's client workflow ("Get started with the Batch SDK"),
// written against the Kiln C++ client library:
//   1. create the containers application, input and output
//   2. upload the task program and the input files
//   3. create a pool whose start task copies the task program to
//      $AZ_BATCH_NODE_SHARED_DIR on every node
//   4. create a job on the pool
//   5. add one task per input file (one add-collection call)
//   6. wait until every task is completed (bounded timeout)
//   7. download the outputs   8. delete the containers   9. delete the job and pool
// It prints the tutorial's console lines to `out`. Works against Azure as well
// as Kiln: only endpoints and keys differ.
#pragma once

#include <chrono>
#include <iosfwd>
#include <string>
#include <vector>

namespace kiln::examples {

struct TutorialOptions {
  std::string blob_endpoint;   // e.g. "http://127.0.0.1:10000/devstoreaccount1"
  std::string batch_endpoint;  // e.g. "http://127.0.0.1:10100"
  std::string account_name;    // Batch account (and storage account unless set below)
  std::string account_key;     // base64
  // The storage account, when it differs from the Batch account (always in Azure).
  std::string storage_account_name;
  std::string storage_account_key;
  std::string ca_file;         // extra CA to trust for HTTPS (Kiln's dev certificate)
  std::string task_program;    // path of kiln_tutorial_task to upload
  std::vector<std::string> input_files;
  std::string download_dir;    // where the *_OUTPUT.txt files go
  std::string pool_id = "KilnTutorialPool";
  std::string job_id = "KilnTutorialJob";
  std::string vm_size = "STANDARD_A1_v2";
  int pool_node_count = 2;
  int num_words = 3;
  std::chrono::seconds timeout{20 * 60};
  bool assume_yes = false;     // answer "yes" to the deletion prompts
};

// Runs steps 1-9. Returns 0 on success, 1 if a task failed or timed out.
// Throws kiln::client::Error when a service call fails.
int run_tutorial(const TutorialOptions& options, std::ostream& out, std::istream& in);

}  // namespace kiln::examples
