// What spoa, spop-cli and spop-sim share around TCLAP: a one-line --version, the first token that looks
// like an option but is none (TCLAP hands such a token to a positional argument, or names it in a
// framed "PARSE ERROR" text), and a one-line description of TCLAP's parse errors.
#pragma once

#include <tclap/CmdLine.h>

#include <iostream>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace spop::cmdline {

/// TCLAP's standard output, except that --version prints "<program> <version>" on one line instead of
/// TCLAP's framed text. An empty `program` uses the CmdLine's program name ("spop-cli send").
class OneLineVersionOutput : public TCLAP::StdOutput {
 public:
  explicit OneLineVersionOutput(std::string program = {}, std::ostream& out = std::cout)
      : program_(std::move(program)), out_(out) {}

  void version(TCLAP::CmdLineInterface& cmd) override;

 protected:
  std::ostream& out() { return out_; }

 private:
  std::string program_;
  std::ostream& out_;
};

/// The option `token` names ("--port", "-p"), or nullptr; positional arguments are no options.
TCLAP::Arg* find_option(TCLAP::CmdLine& cmd, const std::string& token);

/// The first of args[1..] that looks like an option ("-x", "--name") but is none of `cmd`'s, or "".
/// Values of options that take one are skipped, whatever they look like; negative numbers, short
/// switches run together ("-qv") and everything after "--" are not options.
std::string first_unknown_option(TCLAP::CmdLine& cmd, const std::vector<std::string>& args);

/// "--port: <TCLAP's error>" (the option's long name) when the error is about an option, else TCLAP's
/// error alone.
std::string describe(const TCLAP::ArgException& e);

}  // namespace spop::cmdline
