// Process model of spoa: bind, then run one foreground worker (-d) or fork and supervise -n workers.
#pragma once

namespace spoa {

struct Options;

/// Runs the agent until SIGTERM/SIGINT and returns the process exit status (see exit_status.hpp).
///
/// Supervised mode: the listening sockets are bound first, worker 0 is forked and must report ready
/// (scripts loaded) before the others are forked, so a broken script stops start-up with one message
/// and no fork cascade. A worker that dies later is restarted with back-off (--restart-backoff doubling
/// to --restart-backoff-max, reset after it has run 10 s). SIGTERM/SIGINT are forwarded to the workers,
/// which drain; the supervisor waits for them and returns 0. SIGHUP is forwarded to the workers, which
/// reload their scripts in place and report the outcome through their status pipe. With
/// --metrics-address the counters' shared memory is mapped and the endpoint listens before any worker is
/// forked; the endpoint runs in a process of its own (restarted if it dies) so that the supervisor never
/// has a thread when it forks.
/// In a forked worker this function also returns (after the worker has finished), with the
/// worker's status, so that the child unwinds and frees everything like the parent does.
int run_agent(const Options& options);

}  // namespace spoa
