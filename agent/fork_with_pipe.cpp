// Fork plus a child-to-parent pipe (see fork_with_pipe.hpp).
#include "agent/fork_with_pipe.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <system_error>

#include "agent/logging.hpp"

namespace spoa {

ForkedChild fork_with_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
  flush_logs();
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    throw std::system_error(err, std::generic_category(), "fork");
  }
  if (pid == 0) {
    ::close(fds[0]);
    return {0, fds[1]};
  }
  ::close(fds[1]);
  return {pid, fds[0]};
}

}  // namespace spoa
