// A server needs more descriptors than the soft limit processes usually start
// with (often 1024): a GET holds one per data file it sends, besides every
// connection's socket. The processes it starts (Batch tasks) should see the
// limit the server itself was given, as on any other machine.
#pragma once

#include <sys/resource.h>

namespace kiln {

// Raises this process's soft RLIMIT_NOFILE to its hard limit, remembering the
// limit it had. Call once, before starting threads that spawn processes.
void raise_open_file_limit();

// The RLIMIT_NOFILE this process had before raise_open_file_limit (what
// children get back); false when it was never raised.
bool inherited_open_file_limit(rlimit& out);

}  // namespace kiln
