// The few socket operations spop-sim's event loop needs, kept out of the loop's logic: resolving the
// agent's address once, non-blocking connects, and the two ways to end a connection (FIN, or an RST
// as HAProxy does after a health check).
#pragma once

#include <sys/socket.h>

#include <string>

#include "simulator/run/run_plan.hpp"

namespace spop::sim {

/// A resolved address to connect to.
struct ResolvedAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_INET;
};

/// Resolves `agent` (the first address getaddrinfo returns); false with `error` set on failure.
bool resolve(const AgentAddress& agent, ResolvedAddress& out, std::string& error);

/// A non-blocking socket with a connect started: >= 0 on success (connect may still be in progress),
/// -1 with `error` set. TCP sockets get TCP_NODELAY: frames are small and latency matters.
int start_connect(const ResolvedAddress& address, std::string& error);

/// 0 when the connect of `fd` completed, else the errno it failed with.
int connect_result(int fd);

/// Closes `fd` with an RST (SO_LINGER 0), unsent bytes dropped.
void close_with_reset(int fd);

}  // namespace spop::sim
