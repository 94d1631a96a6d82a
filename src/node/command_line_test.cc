#include "node/command_line.h"

#include <gtest/gtest.h>

namespace kiln::node {
namespace {

using Words = std::vector<std::string>;

TEST(CommandLine, PlainInvocationsAreSplitIntoWords) {
  EXPECT_EQ(split_plain_command("/bin/true"), Words({"/bin/true"}));
  EXPECT_EQ(split_plain_command("  /usr/bin/env   -i\tA=1 ./x.sh "),
            Words({"/usr/bin/env", "-i", "A=1", "./x.sh"}));
  EXPECT_EQ(split_plain_command("./prog --numwords=3 a,b:c@d%e+f"),
            Words({"./prog", "--numwords=3", "a,b:c@d%e+f"}));
}

TEST(CommandLine, AnythingTheShellInterpretsGoesToTheShell) {
  for (const char* cmd :
       {"", "true", "echo hi", "exit 3", "/bin/echo $HOME", "/bin/echo 'a b'", "/bin/echo \"a\"",
        "/bin/ls *", "/bin/ls ~", "/bin/true; /bin/false", "/bin/true && x", "/bin/cat < f",
        "/bin/echo > f", "/bin/echo a\\ b", "/bin/echo `id`", "/bin/true # c", "A=/x /bin/true",
        "/bin/true\n/bin/false", "/bin/echo {a,b}", "/bin/echo !x", "/bin/true &"}) {
    EXPECT_FALSE(split_plain_command(cmd)) << cmd;
  }
}

}  // namespace
}  // namespace kiln::node
