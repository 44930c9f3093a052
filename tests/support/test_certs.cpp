#include "tests/support/test_certs.hpp"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>

#include "tests/support/temp_dir.hpp"

namespace spop::test {

namespace {

std::string command_output(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  if (!pipe) throw std::runtime_error("cannot run " + command);
  std::string out;
  char buf[256];
  while (std::fgets(buf, sizeof buf, pipe.get()) != nullptr) out += buf;
  return out;
}

}  // namespace

const TestCerts& test_certs() {
  static const TestCerts certs = [] {
    TestCerts c;
#ifdef SPOP_TEST_CERTS_DIR
    c.dir = SPOP_TEST_CERTS_DIR;
    if (std::filesystem::exists(c.dir / "expired.pem")) return c;
#endif
    c.dir = scratch_dir("spop-certs");
    const std::string command =
        "bash '" SPOP_SOURCE_DIR "/scripts/make-test-certs.sh' '" + c.dir.string() + "' 2>&1";
    if (std::system(command.c_str()) != 0) throw std::runtime_error("failed: " + command);
    return c;
  }();
  return certs;
}

std::string certificate_serial(const std::filesystem::path& pem) {
  std::string out = command_output("openssl x509 -noout -serial -in '" + pem.string() + "'");
  // "serial=4C4CF280838702EF\n"
  const auto eq = out.find('=');
  if (eq == std::string::npos) return {};
  out = out.substr(eq + 1);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

}  // namespace spop::test
