#include "cli/client_context.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace kiln::cli {
namespace {

// Clears the variables resolve() reads, restoring nothing: tests set what they need.
void clear_env() {
  for (const char* v : {"KILN_BATCH_ENDPOINT", "KILN_BLOB_ENDPOINT", "KILN_ACCOUNT_NAME", "KILN_ACCOUNT_KEY",
                        "KILN_CA_FILE", "KILN_CONNECTION_STRING", "AZURE_STORAGE_CONNECTION_STRING"})
    unsetenv(v);
}

TEST(ClientContext, DefaultsToLocalDevelopmentAccount) {
  clear_env();
  ClientContext c;
  c.resolve();
  EXPECT_EQ(c.account_name, "devstoreaccount1");
  EXPECT_EQ(c.account_key, std::string(client::kDevelopmentKey));
  EXPECT_EQ(c.blob_endpoint, "http://127.0.0.1:10000/devstoreaccount1");
  EXPECT_EQ(c.batch_endpoint, "http://127.0.0.1:10100");
}

TEST(ClientContext, FlagsBeatEnvironmentWhichBeatsConnectionString) {
  clear_env();
  setenv("KILN_BATCH_ENDPOINT", "http://env-batch", 1);
  setenv("KILN_ACCOUNT_NAME", "envacct", 1);
  setenv("AZURE_STORAGE_CONNECTION_STRING",
         "AccountName=csacct;AccountKey=AAAA;BlobEndpoint=http://cs-blob/csacct;BatchEndpoint=http://cs-batch", 1);
  ClientContext c;
  c.batch_endpoint = "http://flag-batch";
  c.resolve();
  EXPECT_EQ(c.batch_endpoint, "http://flag-batch");  // flag
  EXPECT_EQ(c.account_name, "envacct");              // environment
  EXPECT_EQ(c.account_key, "AAAA");                  // connection string
  EXPECT_EQ(c.blob_endpoint, "http://cs-blob/csacct");
  clear_env();
}

TEST(ClientContext, BadConnectionStringIsAUsageError) {
  clear_env();
  ClientContext c;
  c.connection_string = "AccountName=only";
  EXPECT_THROW(c.resolve(), std::invalid_argument);
}

}  // namespace
}  // namespace kiln::cli
