// The completion token of the agent's coroutines: errors come back as values in a tuple, never as
// exceptions, because a peer that resets or times out is routine, not exceptional.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace spoa {

inline constexpr auto use_tuple = boost::asio::as_tuple(boost::asio::use_awaitable);

}  // namespace spoa
