#include "cmdline/tclap_support.hpp"

#include <cctype>

namespace spop::cmdline {

void OneLineVersionOutput::version(TCLAP::CmdLineInterface& cmd) {
  out_ << (program_.empty() ? cmd.getProgramName() : program_) << " " << cmd.getVersion() << "\n";
}

TCLAP::Arg* find_option(TCLAP::CmdLine& cmd, const std::string& token) {
  for (TCLAP::Arg* arg : cmd.getArgList()) {
    // Positional arguments have a name too (decode's "hex"), but TCLAP's long form of them is "<HEX>".
    if (arg->getName().empty() || arg->longID().starts_with('<')) continue;
    if (token == "--" + arg->getName() || (!arg->getFlag().empty() && token == "-" + arg->getFlag())) return arg;
  }
  return nullptr;
}

namespace {

// Whether `token` is short switches run together ("-qv"), which TCLAP accepts.
bool combined_switches(TCLAP::CmdLine& cmd, const std::string& token) {
  if (token.size() < 3 || token[1] == '-') return false;
  for (std::size_t i = 1; i < token.size(); ++i) {
    const TCLAP::Arg* arg = find_option(cmd, std::string("-") + token[i]);
    if (arg == nullptr || arg->isValueRequired()) return false;
  }
  return true;
}

}  // namespace

std::string first_unknown_option(TCLAP::CmdLine& cmd, const std::vector<std::string>& args) {
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& token = args[i];
    if (token == "--") break;  // TCLAP ignores what follows
    if (token.size() < 2 || token[0] != '-' || std::isdigit(static_cast<unsigned char>(token[1])) != 0) continue;
    const TCLAP::Arg* arg = find_option(cmd, token);
    if (arg == nullptr) {
      if (combined_switches(cmd, token)) continue;
      return token;
    }
    if (arg->isValueRequired()) ++i;  // its value, whatever it looks like
  }
  return {};
}

std::string describe(const TCLAP::ArgException& e) {
  // TCLAP's ids read "Argument: -p (--port)" or "Argument: (--timeout)" for an option, and
  // "Argument: --bogus" for an unknown token; " " when no argument is concerned.
  const std::string id = e.argId();
  if (!id.starts_with("Argument: ") || id.size() == 10) return e.error();
  std::string name = id.substr(10);
  if (const auto open = name.find("(--"); open != std::string::npos && name.ends_with(')')) {
    name = name.substr(open + 1, name.size() - open - 2);
  }
  return name + ": " + e.error();
}

}  // namespace spop::cmdline
