// Runs an io_context on the test's thread until a condition holds, with a hang guard (never reached
// when things work): for tests whose event loop is the one under test.
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>

namespace spoa::exec::test {

/// Runs `io` in 10 ms slices until `done()` holds; false once the 20 s hang guard has passed.
template <typename Done>
bool run_loop_until(boost::asio::io_context& io, Done done) {
  const auto guard = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!done()) {
    if (std::chrono::steady_clock::now() > guard) return false;
    io.restart();
    io.run_for(std::chrono::milliseconds(10));
  }
  return true;
}

}  // namespace spoa::exec::test
