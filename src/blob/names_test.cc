#include "blob/names.h"

#include <gtest/gtest.h>

#include "blob/errors.h"

namespace kiln::blob {
namespace {

std::string code_of(void (*fn)(const std::string&), const std::string& arg) {
  try {
    fn(arg);
  } catch (const AzureError& e) {
    return e.code;
  }
  return "";
}

TEST(Names, Containers) {
  EXPECT_TRUE(is_valid_container_name("abc"));
  EXPECT_TRUE(is_valid_container_name("a-b-1"));
  EXPECT_TRUE(is_valid_container_name("$root"));
  EXPECT_FALSE(is_valid_container_name("Abc"));
  EXPECT_FALSE(is_valid_container_name("a--b"));
  EXPECT_FALSE(is_valid_container_name("-ab"));
  EXPECT_FALSE(is_valid_container_name("ab-"));
  EXPECT_EQ(code_of(check_container_name, "ab"), "OutOfRangeInput");
  EXPECT_EQ(code_of(check_container_name, std::string(64, 'a')), "OutOfRangeInput");
  EXPECT_EQ(code_of(check_container_name, "a_b"), "InvalidResourceName");
}

TEST(Names, Blobs) {
  EXPECT_EQ(code_of(check_blob_name, "dir/file.txt"), "");
  EXPECT_EQ(code_of(check_blob_name, ""), "OutOfRangeInput");
  EXPECT_EQ(code_of(check_blob_name, std::string(1025, 'a')), "OutOfRangeInput");
  EXPECT_EQ(code_of(check_blob_name, "a\x01"), "InvalidResourceName");
}

TEST(Names, Metadata) {
  Metadata ok{{"key1", "v"}, {"_x", "y"}};
  EXPECT_NO_THROW(check_metadata(ok));
  Metadata bad{{"1abc", "v"}};
  EXPECT_THROW(check_metadata(bad), AzureError);
  Metadata dash{{"a-b", "v"}};
  EXPECT_THROW(check_metadata(dash), AzureError);
  Metadata big{{"k", std::string(9000, 'x')}};
  try {
    check_metadata(big);
    FAIL();
  } catch (const AzureError& e) {
    EXPECT_EQ(e.code, "MetadataTooLarge");
  }
}

}  // namespace
}  // namespace kiln::blob
