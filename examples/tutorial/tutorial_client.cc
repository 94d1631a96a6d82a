// kiln_tutorial_client: the Batch tutorial's client workflow as a standalone
// program (the same code `kiln tutorial` runs). Configuration comes from the
// environment so the same binary runs against Kiln or Azure:
//   KILN_BLOB_ENDPOINT   (default http://127.0.0.1:10000/devstoreaccount1)
//   KILN_BATCH_ENDPOINT  (default http://127.0.0.1:10100)
//   KILN_ACCOUNT_NAME / KILN_ACCOUNT_KEY (default: the development account)
// Usage: kiln_tutorial_client [--yes] TASK_PROGRAM INPUT_FILE... 
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "kiln/credentials.h"
#include "kiln/errors.h"
#include "tutorial_workflow.h"

namespace {
std::string env_or(const char* name, std::string fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}
}  // namespace

int main(int argc, char** argv) {
  kiln::examples::TutorialOptions o;
  o.blob_endpoint = env_or("KILN_BLOB_ENDPOINT", "http://127.0.0.1:10000/devstoreaccount1");
  o.batch_endpoint = env_or("KILN_BATCH_ENDPOINT", "http://127.0.0.1:10100");
  o.account_name = env_or("KILN_ACCOUNT_NAME", std::string(kiln::client::kDevelopmentAccount));
  o.account_key = env_or("KILN_ACCOUNT_KEY", std::string(kiln::client::kDevelopmentKey));
  o.download_dir = ".";
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--yes") == 0) o.assume_yes = true;
    else if (o.task_program.empty()) o.task_program = argv[i];
    else o.input_files.push_back(argv[i]);
  }
  if (o.task_program.empty() || o.input_files.empty()) {
    std::cerr << "usage: kiln_tutorial_client [--yes] TASK_PROGRAM INPUT_FILE...\n";
    return 2;
  }
  try {
    return kiln::examples::run_tutorial(o, std::cout, std::cin);
  } catch (const kiln::client::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
