// spop-cli hello: the handshake alone, and what the agent agreed to.
#include "spop-cli/commands.hpp"
#include "spop-cli/exit_codes.hpp"
#include "spop-cli/frame_json.hpp"
#include "spop-cli/session_report.hpp"

namespace spop_cli {

namespace {

constexpr std::string_view hello_examples =
    "  spop-cli hello                          # the agent on 127.0.0.1:12345, as HAProxy 2.6\n"
    "  spop-cli hello --profile 3.1 -p 12346   # the HELLO of HAProxy 3.1+\n"
    "  spop-cli hello --unix /run/spoa.sock --json\n"
    "  spop-cli hello --max-frame-size 1024 --trace";

}  // namespace

int run_hello(const CommandArgs& a) {
  TCLAP::CmdLine cmd(
      "Connect, send HAProxy's HELLO, print what the agent negotiated (version, frame size, "
      "capabilities), then disconnect as HAProxy does.",
      ' ', std::string(cli_version()));
  ConnectionArgs conn(cmd, true);
  TCLAP::SwitchArg json("", "json", "print JSON", cmd, false);
  if (auto status = parse_command_line(cmd, a, hello_examples)) return *status;

  Endpoint endpoint;
  ClientOptions options;
  if (std::string err = conn.resolve(endpoint, options, a.err); !err.empty()) {
    a.err << a.args.front() << ": " << err << "\n";
    return exit_status::failed;
  }
  Client client(endpoint, options);
  const std::uint32_t offered = options.haproxy.max_frame_size;
  if (auto f = client.connect()) {
    if (json.getValue()) a.out << dump_json({{"agent", endpoint.to_string()}, {"error", failure_json(*f)}}) << "\n";
    a.err << a.args.front() << ": " << f->message << "\n";
    return exit_code(*f);
  }
  const Handshake& h = client.handshake();
  if (json.getValue()) {
    nlohmann::json j = handshake_json(h, offered);
    j["agent"] = endpoint.to_string();
    j["profile"] = std::string(spop::to_string(options.haproxy.profile));
    a.out << dump_json(j) << "\n";
  } else {
    a.out << "agent " << endpoint.to_string() << " accepted the HELLO of HAProxy "
          << spop::to_string(options.haproxy.profile) << "\n";
    print_handshake(a.out, h, offered);
  }
  client.close();
  return exit_status::ok;
}

}  // namespace spop_cli
