// How a freshly forked child of the supervisor leaves the supervisor's code: it throws ChildExit, which
// run_agent() catches and returns, so the child unwinds and frees what it inherited like a normal exit.
#pragma once

namespace spoa {

struct ChildExit {
  int status;  ///< the child's exit status (see exit_status.hpp)
};

}  // namespace spoa
