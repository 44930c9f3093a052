#include "tests/simulator/sim_test_support.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <random>

namespace spop::sim::test {

EnvLookup fixed_env() {
  return [](std::string_view name) -> std::optional<std::string> {
    if (name == "FOO") return "bar";
    if (name == "EMPTY") return "";
    return std::nullopt;
  };
}

std::vector<std::string> strings_of(const std::vector<Diagnostic>& list) {
  std::vector<std::string> out;
  for (const Diagnostic& d : list) out.push_back(to_string(d));
  return out;
}

SpoeConfig spoe(std::string_view text, SpoeLoadOptions options) {
  if (!options.env) options.env = fixed_env();
  try {
    return parse_spoe_config(text, "t.conf", options);
  } catch (const ConfigError& e) {
    ADD_FAILURE() << "unexpected SPOE errors:\n" << e.what();
    return {};
  }
}

std::vector<std::string> spoe_errors(std::string_view text, SpoeLoadOptions options) {
  if (!options.env) options.env = fixed_env();
  try {
    parse_spoe_config(text, "t.conf", options);
  } catch (const ConfigError& e) {
    return strings_of(e.errors());
  }
  return {};
}

std::vector<std::string> spoe_warnings(std::string_view text, SpoeLoadOptions options) {
  return strings_of(spoe(text, std::move(options)).warnings);
}

Scenario scenario(std::string_view yaml) {
  try {
    return parse_scenario(yaml, "s.yaml");
  } catch (const ConfigError& e) {
    ADD_FAILURE() << "unexpected scenario errors:\n" << e.what();
    return {};
  }
}

std::vector<std::string> scenario_errors(std::string_view yaml) {
  try {
    parse_scenario(yaml, "s.yaml");
  } catch (const ConfigError& e) {
    return strings_of(e.errors());
  }
  return {};
}

TempDir::TempDir() {
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() / ("spop-sim-test-" + std::to_string(rd()) + std::to_string(rd()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::filesystem::path TempDir::write(const std::string& name, std::string_view text) const {
  const std::filesystem::path p = path_ / name;
  std::filesystem::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  return p;
}

spop::Ipv6Address v6(const char* text) {
  spop::Ipv6Address a;
  EXPECT_TRUE(spop::parse_ipv6(text, a));
  return a;
}

}  // namespace spop::sim::test
