#include "spop-cli/commands.hpp"

namespace spop_cli {

void print_overview(std::ostream& os) {
  os << "spop-cli " << cli_version()
     << ": talk to any SPOP agent (HAProxy's Stream Processing Offload Protocol)\n"
        "\n"
        "usage: spop-cli <subcommand> [options]      spop-cli <subcommand> --help\n"
        "\n"
        "  send     handshake, one NOTIFY (--msg NAME --arg NAME=TYPE:VALUE ...), print the ACK;\n"
        "           --expect assertions, --repeat/--pipeline latency summary, --json\n"
        "  hello    handshake only: the version, frame size and capabilities the agent negotiates\n"
        "  check    HAProxy's health check, as a monitoring plugin (exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)\n"
        "  decode   frames from hex, a file, stdin or a pcap/pcapng capture, as a tree or JSON\n"
        "  encode   build a frame from options or JSON, print hex or write raw bytes\n"
        "\n"
        "Exit status (all but check):\n"
        "  0  success\n"
        "  1  an --expect failed, or a usage error (bad option, unreadable input file)\n"
        "  2  the agent refused (AGENT-DISCONNECT), closed or reset the connection, or broke the protocol;\n"
        "     decode: the input holds a malformed frame\n"
        "  3  the agent could not be reached: connection refused, no such socket, unknown host, or no\n"
        "     connection or answer within --timeout\n";
}

}  // namespace spop_cli
