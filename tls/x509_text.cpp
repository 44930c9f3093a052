#include "tls/x509_text.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>

#include <ctime>
#include <memory>

#include "tls/openssl_ptr.hpp"

namespace spop::tls {

namespace {

std::string name_text(const X509_NAME* name) {
  if (name == nullptr) return "?";
  std::unique_ptr<BIO, OpensslDeleter<BIO, BIO_free_all>> bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string("(empty name)");
}

}  // namespace

std::string subject_text(const X509* cert) { return name_text(X509_get_subject_name(cert)); }

std::string issuer_text(const X509* cert) { return name_text(X509_get_issuer_name(cert)); }

std::string time_text(const ASN1_TIME* time) {
  std::tm tm{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) return "?";
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return out;
}

int days_from_now(const ASN1_TIME* time) {
  int days = 0, seconds = 0;
  if (time == nullptr || ASN1_TIME_diff(&days, &seconds, nullptr, time) != 1) return 0;
  return days;
}

std::string serial_text(const X509* cert) {
  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert);
  std::unique_ptr<BIGNUM, OpensslDeleter<BIGNUM, BN_free>> bn(ASN1_INTEGER_to_BN(serial, nullptr));
  if (!bn) return "?";
  char* hex = BN_bn2hex(bn.get());
  std::string out = hex != nullptr ? hex : "?";
  OPENSSL_free(hex);
  return out;
}

bool is_self_signed(X509* cert) { return X509_self_signed(cert, 0) == 1; }

}  // namespace spop::tls
