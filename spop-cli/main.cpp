// spop-cli: dispatches `spop-cli <subcommand> ...` to the subcommand, each with its own TCLAP command line.
#include <iostream>
#include <string_view>

#include "spop-cli/commands.hpp"
#include "spop-cli/exit_codes.hpp"

int main(int argc, char** argv) {
  using namespace spop_cli;
  const std::string_view sub = argc > 1 ? argv[1] : "";
  if (sub.empty() || sub == "-h" || sub == "--help" || sub == "help") {
    print_overview(std::cout);
    return sub.empty() ? exit_status::failed : exit_status::ok;
  }
  if (sub == "--version") {
    std::cout << "spop-cli " << cli_version() << "\n";
    return exit_status::ok;
  }
  CommandArgs args{{"spop-cli " + std::string(sub)}, std::cin, std::cout, std::cerr};
  for (int i = 2; i < argc; ++i) args.args.emplace_back(argv[i]);
  if (sub == "send") return run_send(args);
  if (sub == "hello") return run_hello(args);
  if (sub == "check") return run_check(args);
  if (sub == "decode") return run_decode(args);
  if (sub == "encode") return run_encode(args);
  std::cerr << "spop-cli: unknown subcommand '" << sub << "' (send, hello, check, decode, encode; see --help)\n";
  return exit_status::failed;
}
