// How a task's command line becomes a process. Kiln runs every command line
// with `/bin/sh -c` (so shell syntax works as users expect on Linux nodes), but
// a command line that is one plain program invocation — the program given by a
// path containing '/', then words made only of characters the shell gives no
// meaning to — is exec'd directly: the shell would do exactly that, one fork
// and exec later. If that exec fails, the child falls back to `/bin/sh -c` so
// errors, exit codes (126/127) and scripts without a #! line behave the same.
// Pure functions, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::node {

// The words of a plain invocation, or nullopt when the shell must interpret it.
std::optional<std::vector<std::string>> split_plain_command(std::string_view command_line);

// {"/bin/sh", "-c", command_line}
std::vector<std::string> shell_argv(const std::string& command_line);

}  // namespace kiln::node
