// cmdline/tclap_support: finding options, the first unknown option, error descriptions, --version.
#include "cmdline/tclap_support.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace spop::cmdline {
namespace {

// A command line like spop-cli decode's: a value option, two switches and a positional argument.
struct Fixture {
  TCLAP::CmdLine cmd{"test", ' ', "1.2.3"};
  TCLAP::ValueArg<std::string> port{"p", "port", "port", false, "", "PORT", cmd};
  TCLAP::SwitchArg quiet{"q", "quiet", "quiet", cmd};
  TCLAP::SwitchArg verbose{"v", "verbose", "verbose", cmd};
  TCLAP::UnlabeledValueArg<std::string> hex{"hex", "bytes", false, "", "HEX", cmd};
};

TEST(FindOption, LongAndShortNamesButNoPositionals) {
  Fixture f;
  EXPECT_EQ(find_option(f.cmd, "--port"), &f.port);
  EXPECT_EQ(find_option(f.cmd, "-p"), &f.port);
  EXPECT_EQ(find_option(f.cmd, "-q"), &f.quiet);
  EXPECT_EQ(find_option(f.cmd, "--hex"), nullptr);
  EXPECT_EQ(find_option(f.cmd, "--por"), nullptr);
  EXPECT_NE(find_option(f.cmd, "--version"), nullptr);  // TCLAP's own
}

TEST(FirstUnknownOption, NamesTheFirstTokenThatIsNoOption) {
  Fixture f;
  const auto first = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "prog");
    return first_unknown_option(f.cmd, args);
  };
  EXPECT_EQ(first({"-q", "--bogus", "-x"}), "--bogus");
  EXPECT_EQ(first({"--port=1"}), "--port=1");
  EXPECT_EQ(first({"-pq"}), "-pq");  // -p takes a value: not a run of switches
  EXPECT_EQ(first({}), "");
  EXPECT_EQ(first({"-qv", "00ff"}), "");         // switches run together
  EXPECT_EQ(first({"-p", "--looks-like-one"}), "");  // an option's value
  EXPECT_EQ(first({"-5"}), "");                  // a negative number
  EXPECT_EQ(first({"-", "--", "--after"}), "");  // "-" alone, and all after "--"
}

TEST(Describe, UsesTheOptionsLongName) {
  // TCLAP builds the id from Arg::toString() ("-p (--port)") or the unknown token; argId() adds "Argument: ".
  EXPECT_EQ(describe(TCLAP::ArgException("Missing a value", "-p (--port)")), "--port: Missing a value");
  EXPECT_EQ(describe(TCLAP::ArgException("bad", "(--timeout)")), "--timeout: bad");
  EXPECT_EQ(describe(TCLAP::ArgException("Couldn't find match", "--bogus")), "--bogus: Couldn't find match");
  EXPECT_EQ(describe(TCLAP::ArgException("Required argument missing: msg", "undefined")),
            "Required argument missing: msg");
  EXPECT_EQ(describe(TCLAP::ArgException("x", "")), "x");
}

TEST(OneLineVersionOutput, PrintsProgramAndVersion) {
  Fixture f;
  std::ostringstream named_out;
  OneLineVersionOutput named("spoa", named_out);
  named.version(f.cmd);
  EXPECT_EQ(named_out.str(), "spoa 1.2.3\n");

  std::vector<std::string> args{"spop-cli send"};  // the program name comes from args[0]
  f.cmd.parse(args);
  std::ostringstream default_out;
  OneLineVersionOutput from_cmd({}, default_out);
  from_cmd.version(f.cmd);
  EXPECT_EQ(default_out.str(), "spop-cli send 1.2.3\n");
}

}  // namespace
}  // namespace spop::cmdline
