// Forking a child of the supervisor (a worker or the metrics endpoint) with a pipe on which the child
// reports back to the parent: readiness, reload outcomes, the endpoint's port.
#pragma once

#include <sys/types.h>

namespace spoa {

struct ForkedChild {
  pid_t pid;  ///< the child's pid in the parent, 0 in the child
  int fd;     ///< the parent's read end, or the child's write end (both close-on-exec)
};

/// Flushes the logs and stdio first, so that the child does not write the parent's buffered output
/// a second time. Throws std::system_error if the pipe or the fork fails.
ForkedChild fork_with_pipe();

}  // namespace spoa
