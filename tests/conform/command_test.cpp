// The command line of `spop-sim conform`: exit statuses, selection, and the structure of the table,
// JSON and JUnit outputs.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string_view>

#include "simulator/conform/check.hpp"
#include "tests/conform/cli_capture.hpp"
#include "tests/conform/fake_agent.hpp"

namespace spop::sim::conform {
namespace {

using test::Fault;
using test::FakeAgent;
using test::run_cli;

std::string port_of(const FakeAgent& a) { return std::to_string(a.port()); }

// A port nothing listens on: bound, then closed.
std::uint16_t dead_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

// A minimal well-formedness check of our JUnit output: every element opened is closed, in order.
bool balanced_xml(const std::string& xml, std::string& why) {
  std::vector<std::string> stack;
  for (auto open = xml.find('<'); open != std::string::npos; open = xml.find('<', open + 1)) {
    const auto close = xml.find('>', open);
    if (close == std::string::npos) {
      why = "a tag is never ended with '>'";
      return false;
    }
    const std::string_view tag(xml.data() + open + 1, close - open - 1);
    if (tag.starts_with('?') || tag.starts_with('!')) continue;  // declaration, comment
    const bool closing = tag.starts_with('/');
    const std::string_view rest = tag.substr(closing ? 1 : 0);
    const std::string name(rest.substr(0, rest.find_first_of(" \t\r\n/")));
    if (closing) {
      if (stack.empty() || stack.back() != name) {
        why = "unexpected </" + name + ">";
        return false;
      }
      stack.pop_back();
    } else if (!tag.ends_with('/')) {
      stack.push_back(name);
    }
  }
  if (!stack.empty()) why = "<" + stack.back() + "> never closed";
  return stack.empty();
}

// The value of attribute `name` in the first <element ...> tag that has it, or "".
std::string attribute(const std::string& xml, const std::string& element, const std::string& name) {
  const std::string start = "<" + element;
  const std::string key = name + "=\"";
  for (auto open = xml.find(start); open != std::string::npos; open = xml.find(start, open + 1)) {
    const auto after = open + start.size();
    if (after >= xml.size() || std::isspace(static_cast<unsigned char>(xml[after])) == 0) continue;
    const std::string_view tag(xml.data() + after, xml.find('>', after) - after);
    for (auto at = tag.find(key); at != std::string_view::npos; at = tag.find(key, at + 1)) {
      if (std::isspace(static_cast<unsigned char>(tag[at - 1])) == 0) continue;  // "xname=" is not "name="
      const auto value = at + key.size();
      return std::string(tag.substr(value, tag.find('"', value) - value));
    }
  }
  return "";
}

// Check ids look like "HS-01": two capitals, a dash, two digits.
bool is_check_id(std::string_view id) {
  return id.size() == 5 && std::isupper(static_cast<unsigned char>(id[0])) != 0 &&
         std::isupper(static_cast<unsigned char>(id[1])) != 0 && id[2] == '-' &&
         std::isdigit(static_cast<unsigned char>(id[3])) != 0 && std::isdigit(static_cast<unsigned char>(id[4])) != 0;
}

TEST(ConformCommand, ExitZeroWhenNoMustFails) {
  FakeAgent agent(Fault::none);
  const auto r = run_cli({"--port", port_of(agent), "--profile", "2.6", "--only", "HS-01", "--only", "NA-01"});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("HS-01  MUST    pass"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("summary: 2 passed, 0 failed (MUST)"), std::string::npos) << r.out;
}

TEST(ConformCommand, ExitOneWhenAMustFails) {
  FakeAgent agent(Fault::wrong_ids);
  const auto r = run_cli({"--port", port_of(agent), "--profile", "3.1", "--only", "NA-01", "--timeout", "1000"});
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("NA-01  MUST    FAIL"), std::string::npos) << r.out;
  // The failure says what came instead.
  EXPECT_NE(r.out.find("ACK for sid=1 fid=2 instead of sid=1 fid=1"), std::string::npos) << r.out;
}

TEST(ConformCommand, ShouldFailuresWarnWithoutFailing) {
  FakeAgent agent(Fault::ack_non_notify);
  const auto r = run_cli({"--port", port_of(agent), "--profile", "2.6", "--only", "LM-11"});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("LM-11  SHOULD  warn"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1 warning(s) (SHOULD)"), std::string::npos) << r.out;
}

TEST(ConformCommand, ExitTwoForUsageAndConnectionErrors) {
  const auto unreachable = run_cli({"--port", std::to_string(dead_port()), "--timeout", "1000"});
  EXPECT_EQ(unreachable.status, 2);
  EXPECT_NE(unreachable.err.find("cannot connect to 127.0.0.1:"), std::string::npos) << unreachable.err;

  const auto no_socket = run_cli({"--unix", "/nonexistent/spoa.sock"});
  EXPECT_EQ(no_socket.status, 2);
  EXPECT_NE(no_socket.err.find("unix:/nonexistent/spoa.sock"), std::string::npos) << no_socket.err;

  const auto profile = run_cli({"--profile", "2.4"});
  EXPECT_EQ(profile.status, 2);
  EXPECT_NE(profile.err.find("--profile 2.4: expected 2.6, 3.2 (or 3.1) or all"), std::string::npos) << profile.err;

  const auto only = run_cli({"--only", "XX-99"});
  EXPECT_EQ(only.status, 2);
  EXPECT_NE(only.err.find("--only XX-99: no check has this id or group"), std::string::npos) << only.err;

  EXPECT_EQ(run_cli({"--markdown"}).status, 2);
  const auto unknown = run_cli({"--list", "--no-such-option"});
  EXPECT_EQ(unknown.status, 2);
  EXPECT_EQ(unknown.err, "spop-sim conform: unknown option '--no-such-option' (see spop-sim conform --help)\n");
  EXPECT_EQ(run_cli({"--port", "0"}).status, 2);
  const auto bad_number = run_cli({"--timeout", "abc"});
  EXPECT_EQ(bad_number.status, 2);
  EXPECT_TRUE(bad_number.err.starts_with("spop-sim conform: --timeout")) << bad_number.err;
  EXPECT_NE(bad_number.err.find("'abc'"), std::string::npos) << bad_number.err;
}

TEST(ConformCommand, ListsEveryCheck) {
  const auto list = run_cli({"--list"});
  EXPECT_EQ(list.status, 0);
  EXPECT_EQ(count(list.out, "\n"), all_checks().size());
  EXPECT_GE(all_checks().size(), 40u);
  const auto some = run_cli({"--list", "--only", "hs-01,NA-07", "--only", "RB"});
  EXPECT_EQ(some.status, 0);
  EXPECT_EQ(count(some.out, "\n"), 7u) << some.out;
  EXPECT_EQ(some.out.rfind("HS-01  MUST", 0), 0u) << some.out;
  EXPECT_EQ(run_cli({"--list", "--only", "HS-01,"}).status, 2);  // an empty selector matches nothing
  const auto md = run_cli({"--list", "--markdown", "--only", "HS"});
  EXPECT_EQ(md.status, 0);
  EXPECT_EQ(md.out.rfind("| id | level | rule | check | sent | expected |\n|---|", 0), 0u) << md.out;
  EXPECT_EQ(count(md.out, "\n| HS-"), 21u) << md.out;
}

TEST(ConformCommand, RegistryIsWellFormed) {
  std::set<std::string_view> ids;
  for (const Check& c : all_checks()) {
    EXPECT_TRUE(ids.insert(c.id).second) << "duplicate id " << c.id;
    EXPECT_TRUE(is_check_id(c.id)) << c.id;
    EXPECT_TRUE(c.rule.starts_with("§")) << c.id << " cites no section";
    EXPECT_FALSE(c.title.empty() || c.sent.empty() || c.expected.empty()) << c.id;
    EXPECT_NE(c.run, nullptr) << c.id;
  }
}

TEST(ConformCommand, JsonReport) {
  FakeAgent agent(Fault::wrong_ids);
  const auto r = run_cli({"--port", port_of(agent), "--profile", "all", "--only", "NA", "--json", "--timeout", "1000"});
  EXPECT_EQ(r.status, 1) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["agent"], "127.0.0.1:" + port_of(agent));
  ASSERT_EQ(j["profiles"].size(), 2u);
  EXPECT_EQ(j["profiles"][0]["profile"], "2.6");
  EXPECT_EQ(j["profiles"][1]["profile"], "3.2");
  // The echo probe itself gets a wrongly numbered ACK, so the echo counts as absent, with the reason.
  EXPECT_EQ(j["profiles"][0]["echo"], false);
  EXPECT_NE(j["profiles"][0]["echo_detail"].get<std::string>().find("the echo NOTIFY failed: ACK for sid="),
            std::string::npos);
  ASSERT_EQ(j["results"].size(), 2u * 15u);
  std::size_t fails = 0, passes = 0, skips = 0;
  for (const auto& res : j["results"]) {
    for (const char* key : {"id", "profile", "group", "level", "rule", "title", "sent", "expected", "result",
                            "detail", "duration_ms"}) {
      EXPECT_TRUE(res.contains(key)) << key;
    }
    const std::string result = res["result"];
    fails += result == "fail";
    passes += result == "pass";
    skips += result == "skip";
    if (result == "fail") {
      EXPECT_FALSE(res["detail"].get<std::string>().empty());
    }
  }
  EXPECT_EQ(j["summary"]["failed"], fails);
  EXPECT_EQ(j["summary"]["passed"], passes);
  EXPECT_EQ(j["summary"]["skipped"], skips);
  EXPECT_EQ(j["summary"]["exit_status"], 1);
  EXPECT_GT(fails, 0u);
  EXPECT_EQ(j["results"][0]["id"], "NA-01");
  EXPECT_EQ(j["results"][0]["result"], "fail");
}

TEST(ConformCommand, JunitReport) {
  FakeAgent agent(Fault::ack_non_notify);
  const auto file = std::filesystem::temp_directory_path() /
                    ("conform-junit-" + std::to_string(::getpid()) + ".xml");
  const auto r = run_cli({"--port", port_of(agent), "--profile", "2.6", "--only", "LC-01", "--only", "LM-11",
                          "--only", "FR-01", "--only", "HS-01", "--junit", file.string(), "--timeout", "1000"});
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  std::ifstream in(file);
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string xml = buf.str();
  std::filesystem::remove(file);
  std::string why;
  EXPECT_TRUE(balanced_xml(xml, why)) << why << "\n" << xml;
  EXPECT_EQ(xml.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites ", 0), 0u) << xml;
  EXPECT_EQ(attribute(xml, "testsuites", "tests"), "4") << xml;
  EXPECT_EQ(attribute(xml, "testsuites", "failures"), "1") << xml;
  EXPECT_EQ(attribute(xml, "testsuites", "skipped"), "1") << xml;
  EXPECT_EQ(attribute(xml, "testsuite", "name"), "HAProxy 2.6") << xml;
  EXPECT_EQ(count(xml, "<testcase "), 4u);
  EXPECT_EQ(count(xml, "<failure type=\"MUST\""), 1u);     // LC-01
  EXPECT_EQ(count(xml, "<skipped message="), 1u);          // FR-01
  EXPECT_EQ(count(xml, "<system-out>warning (SHOULD"), 1u);  // LM-11
  EXPECT_NE(xml.find("name=\"LC-01 HAPROXY-DISCONNECT is answered\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("classname=\"spop-conform.2.6.lifecycle\""), std::string::npos) << xml;
}

}  // namespace
}  // namespace spop::sim::conform
