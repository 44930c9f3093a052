#include "spop/types.hpp"

namespace spop {

std::string_view to_string(Scope scope) {
  switch (scope) {
    case Scope::proc: return "proc";
    case Scope::sess: return "sess";
    case Scope::txn: return "txn";
    case Scope::req: return "req";
    case Scope::res: return "res";
  }
  return "?";
}

std::string_view to_string(FrameType type) {
  switch (type) {
    case FrameType::unset: return "UNSET";
    case FrameType::haproxy_hello: return "HAPROXY-HELLO";
    case FrameType::haproxy_disconnect: return "HAPROXY-DISCONNECT";
    case FrameType::notify: return "NOTIFY";
    case FrameType::agent_hello: return "AGENT-HELLO";
    case FrameType::agent_disconnect: return "AGENT-DISCONNECT";
    case FrameType::ack: return "ACK";
  }
  return "UNKNOWN";
}

std::string_view to_string(DataType type) {
  switch (type) {
    case DataType::null: return "null";
    case DataType::boolean: return "bool";
    case DataType::int32: return "int32";
    case DataType::uint32: return "uint32";
    case DataType::int64: return "int64";
    case DataType::uint64: return "uint64";
    case DataType::ipv4: return "ipv4";
    case DataType::ipv6: return "ipv6";
    case DataType::string: return "str";
    case DataType::binary: return "bin";
  }
  return "reserved";
}

}  // namespace spop
