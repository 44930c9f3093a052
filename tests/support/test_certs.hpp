// The TLS tests' certificates, made by scripts/make-test-certs.sh (Debian's openssl CLI): a CA, server
// and client certificates it signed, a renewed server certificate, a client certificate from another CA,
// an expired certificate and a chain through an intermediate CA (the script lists what each file is).
// The build makes them once in <build>/test-certs; a test process makes its own set in a scratch
// directory when that one is missing. Tests never modify these files (they copy what they change).
#pragma once

#include <filesystem>
#include <string>

namespace spop::test {

struct TestCerts {
  std::filesystem::path dir;
  std::filesystem::path file(const std::string& name) const { return dir / name; }
  std::filesystem::path ca() const { return file("ca.pem"); }
  std::filesystem::path server_cert() const { return file("server.pem"); }
  std::filesystem::path server_key() const { return file("server.key"); }
  std::filesystem::path client_cert() const { return file("client.pem"); }
  std::filesystem::path client_key() const { return file("client.key"); }
};

/// The certificates (created at the first call; throws std::runtime_error when the script fails).
const TestCerts& test_certs();

/// The serial number of the first certificate of a PEM file, in hex as `openssl x509 -serial` prints it.
std::string certificate_serial(const std::filesystem::path& pem);

}  // namespace spop::test
