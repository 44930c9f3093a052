// Certificates as people read them in logs and in `spoa --check`: names, dates, serials.
#pragma once

#include <openssl/x509.h>

#include <string>

namespace spop::tls {

/// The subject in RFC 2253 form, most specific first: "CN=localhost", "CN=spop-test CA,O=spop-toolkit tests".
std::string subject_text(const X509* cert);
std::string issuer_text(const X509* cert);
/// "2026-03-01 12:00:00 UTC"
std::string time_text(const ASN1_TIME* time);
/// Whole days from now until `time`, negative once it has passed.
int days_from_now(const ASN1_TIME* time);
/// The serial number in hex, as `openssl x509 -serial` prints it.
std::string serial_text(const X509* cert);
/// True when the certificate's issuer is its own subject and its own key signs it.
bool is_self_signed(X509* cert);

}  // namespace spop::tls
