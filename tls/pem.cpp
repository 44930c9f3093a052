#include "tls/pem.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "tls/errors.hpp"

namespace spop::tls {

namespace {

using BioPtr = std::unique_ptr<BIO, OpensslDeleter<BIO, BIO_free_all>>;

BioPtr memory_bio(const std::string& text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

bool is_no_more_pem(unsigned long code) {
  return ERR_GET_LIB(code) == ERR_LIB_PEM && ERR_GET_REASON(code) == PEM_R_NO_START_LINE;
}

// The certificates of PEM text; `path` is only for messages.
std::vector<X509Ptr> certificates_of(const std::string& text, const std::filesystem::path& path) {
  std::vector<X509Ptr> out;
  ERR_clear_error();
  BioPtr bio = memory_bio(text);
  for (;;) {
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) break;
    out.push_back(std::move(cert));
  }
  const unsigned long last = ERR_peek_last_error();
  if (last != 0 && !is_no_more_pem(last)) {
    throw Error(path.string() + ": certificate " + std::to_string(out.size() + 1) +
                " does not decode: " + take_openssl_errors());
  }
  ERR_clear_error();
  return out;
}

// OpenSSL asks for a passphrase only for an encrypted key: note it and give none.
int refuse_passphrase(char*, int, int, void* asked) {
  *static_cast<bool*>(asked) = true;
  return -1;
}

}  // namespace

std::string read_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw Error("cannot read " + path.string() + ": it is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read " + path.string() + ": " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw Error("cannot read " + path.string() + ": " + std::strerror(errno));
  return text.str();
}

std::vector<X509Ptr> load_certificates(const std::filesystem::path& path) {
  auto certs = certificates_of(read_file(path), path);
  if (certs.empty()) throw Error(path.string() + ": no PEM certificate in this file");
  return certs;
}

PkeyPtr load_private_key(const std::filesystem::path& path) {
  const std::string text = read_file(path);
  // "-----BEGIN PRIVATE KEY-----", "... EC PRIVATE KEY-----", "... ENCRYPTED PRIVATE KEY-----": without one,
  // OpenSSL's decoders report something vague ("unsupported").
  if (text.find("PRIVATE KEY-----") == std::string::npos) {
    throw Error(path.string() + ": no PEM private key in this file");
  }
  ERR_clear_error();
  BioPtr bio = memory_bio(text);
  bool asked = false;
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, refuse_passphrase, &asked));
  if (key) return key;
  if (asked) {
    ERR_clear_error();
    throw Error(path.string() + ": the private key is encrypted; give it unencrypted (and protect the file with "
                "its permissions)");
  }
  const unsigned long last = ERR_peek_last_error();
  if (last == 0 || is_no_more_pem(last)) {
    ERR_clear_error();
    throw Error(path.string() + ": no PEM private key in this file");
  }
  throw Error(path.string() + ": the private key does not decode: " + take_openssl_errors());
}

CaBundle load_ca(const std::filesystem::path& path) {
  CaBundle out;
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) {
    out.certs = load_certificates(path);
    out.files = 1;
    return out;
  }
  out.directory = true;
  std::vector<std::filesystem::path> files;
  std::filesystem::directory_iterator it(path, ec);
  if (ec) throw Error("cannot read the directory " + path.string() + ": " + ec.message());
  for (const auto& entry : it) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.' || !entry.is_regular_file(ec)) continue;
    files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());  // a stable order for messages and --check
  for (const auto& f : files) {
    auto certs = certificates_of(read_file(f), f);
    if (certs.empty()) continue;
    ++out.files;
    for (auto& c : certs) out.certs.push_back(std::move(c));
  }
  if (out.certs.empty()) throw Error(path.string() + ": no PEM certificate in any file of this directory");
  return out;
}

}  // namespace spop::tls
