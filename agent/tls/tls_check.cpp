#include "agent/tls/tls_check.hpp"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <fmt/format.h>

#include "agent/tls/server_context.hpp"
#include "tls/errors.hpp"
#include "tls/x509_text.hpp"

namespace spoa::tls {

namespace {

using spop::tls::X509Ptr;

// Certificates this close to their end are flagged, so that a renewal is not missed.
constexpr int renew_soon_days = 30;

std::string validity_text(X509* cert, std::vector<std::string>& problems, const std::string& what) {
  const ASN1_TIME* not_after = X509_get0_notAfter(cert);
  const ASN1_TIME* not_before = X509_get0_notBefore(cert);
  if (X509_cmp_current_time(not_before) > 0) {
    problems.push_back(fmt::format("{} {} is not valid before {}", what, spop::tls::subject_text(cert),
                                   spop::tls::time_text(not_before)));
  }
  const int days = spop::tls::days_from_now(not_after);
  if (X509_cmp_current_time(not_after) < 0) {
    problems.push_back(fmt::format("{} {} expired on {}", what, spop::tls::subject_text(cert),
                                   spop::tls::time_text(not_after)));
    return fmt::format("expired {}", spop::tls::time_text(not_after));
  }
  return fmt::format("expires {} (in {} days{})", spop::tls::time_text(not_after), days,
                     days < renew_soon_days ? ": renew soon" : "");
}

// Each certificate of the file must be issued (and signed) by the next one: leaf first.
bool chain_in_order(const std::vector<X509Ptr>& chain, const std::string& file, std::vector<std::string>& problems) {
  for (std::size_t i = 0; i + 1 < chain.size(); ++i) {
    X509* child = chain[i].get();
    X509* parent = chain[i + 1].get();
    if (X509_check_issued(parent, child) != X509_V_OK || X509_verify(child, X509_get0_pubkey(parent)) != 1) {
      ERR_clear_error();
      problems.push_back(fmt::format("{}: certificate {} ({}) is not issued by certificate {} ({}): the chain must "
                                     "start with the server's certificate, each followed by its issuer",
                                     file, i + 1, spop::tls::subject_text(child), i + 2,
                                     spop::tls::subject_text(parent)));
      return false;
    }
  }
  return true;
}

// Verifies the chain against the CAs known here: self-signed certificates of the file, --tls-ca and
// the system's store. An issuer known to none of them is not a problem (HAProxy's ca-file holds it),
// only said; any other failure (a signature, a date, a certificate not made for servers) is.
std::string verify_chain(const std::vector<X509Ptr>& chain, const Options& options, std::vector<std::string>& problems) {
  spop::tls::X509StorePtr store(X509_STORE_new());
  X509_STORE_set_default_paths(store.get());
  STACK_OF(X509)* untrusted = sk_X509_new_null();
  for (std::size_t i = 1; i < chain.size(); ++i) {
    if (spop::tls::is_self_signed(chain[i].get())) X509_STORE_add_cert(store.get(), chain[i].get());
    else sk_X509_push(untrusted, chain[i].get());
  }
  if (spop::tls::is_self_signed(chain.front().get())) X509_STORE_add_cert(store.get(), chain.front().get());
  if (options.mutual()) {
    try {
      for (const auto& c : spop::tls::load_ca(options.ca).certs) X509_STORE_add_cert(store.get(), c.get());
    } catch (const spop::tls::Error&) {
      // Reported with the CA line.
    }
  }
  spop::tls::X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  X509_STORE_CTX_init(ctx.get(), store.get(), chain.front().get(), untrusted);
  X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_SERVER);
  const bool ok = X509_verify_cert(ctx.get()) == 1;
  const int err = X509_STORE_CTX_get_error(ctx.get());
  const int depth = X509_STORE_CTX_get_error_depth(ctx.get());
  std::string out;
  if (ok) {
    STACK_OF(X509)* built = X509_STORE_CTX_get0_chain(ctx.get());
    X509* root = sk_X509_value(built, sk_X509_num(built) - 1);
    out = root == chain.front().get() ? "self-signed" : "chain verifies to " + spop::tls::subject_text(root);
  } else if (err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY || err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT) {
    X509* top = chain.back().get();
    out = fmt::format("chain ends at {}, issued by {}: HAProxy's ca-file must hold that CA",
                      spop::tls::subject_text(top), spop::tls::issuer_text(top));
  } else {
    problems.push_back(fmt::format("the certificate chain of {} does not verify at depth {}: {}", options.cert.string(),
                                   depth, X509_verify_cert_error_string(err)));
    out = "chain does not verify";
  }
  sk_X509_free(untrusted);
  ERR_clear_error();
  return out;
}

void check_certificate(const Options& options, CheckReport& report) {
  std::vector<X509Ptr> chain;
  try {
    chain = spop::tls::load_certificates(options.cert);
  } catch (const spop::tls::Error& e) {
    report.problems.push_back(e.what());
    return;
  }
  const std::string cert_file = options.cert.string();
  std::string line = fmt::format("certificate {} (serial {}), issued by {}, {}", spop::tls::subject_text(chain[0].get()),
                                 spop::tls::serial_text(chain[0].get()), spop::tls::issuer_text(chain[0].get()),
                                 validity_text(chain[0].get(), report.problems, "the certificate"));
  for (std::size_t i = 1; i < chain.size(); ++i) validity_text(chain[i].get(), report.problems, "the chain certificate");
  if (chain_in_order(chain, cert_file, report.problems)) line += "; " + verify_chain(chain, options, report.problems);
  report.lines.push_back("tls cert:        " + line);
  try {
    spop::tls::load_key_pair(options.cert, options.key);
  } catch (const spop::tls::Error& e) {
    report.problems.push_back(e.what());
  }
}

void check_ca(const Options& options, CheckReport& report) {
  if (!options.mutual()) {
    report.lines.push_back("tls clients:     any client (no --tls-ca: client certificates are not asked for)");
    return;
  }
  spop::tls::CaBundle ca;
  try {
    ca = spop::tls::load_ca(options.ca);
  } catch (const spop::tls::Error& e) {
    report.problems.push_back(e.what());
    return;
  }
  std::string names;
  for (const auto& c : ca.certs) {
    names += (names.empty() ? "" : "; ") + spop::tls::subject_text(c.get());
    if (X509_check_ca(c.get()) == 0) {
      report.problems.push_back(fmt::format("{}: {} is not a CA certificate: it cannot sign client certificates",
                                            options.ca.string(), spop::tls::subject_text(c.get())));
    }
    validity_text(c.get(), report.problems, "the CA certificate");
  }
  report.lines.push_back(fmt::format("tls clients:     client certificates required, CA {} ({} certificate{}{}: {})",
                                     options.ca.string(), ca.certs.size(), ca.certs.size() == 1 ? "" : "s",
                                     ca.directory ? fmt::format(" in {} files", ca.files) : "", names));
}

}  // namespace

CheckReport check_tls(const Options& options, bool unix_socket) {
  CheckReport report;
  report.lines.push_back(fmt::format("tls:             would serve TLS {}-1.3 on TCP listeners{}, TLS 1.2 ciphers {}{}",
                                     spop::tls::version_name(options.min_version),
                                     unix_socket ? " (the unix socket stays plaintext)" : "", options.ciphers,
                                     options.ciphersuites.empty() ? "" : ", TLS 1.3 suites " + options.ciphersuites));
  check_certificate(options, report);
  check_ca(options, report);
  if (report.ok()) {
    // Whatever the checks above do not cover (an unusable key type, a cipher list that fits no
    // certificate...): building the real context must work too.
    try {
      make_server_context(options);
    } catch (const std::exception& e) {
      report.problems.push_back(e.what());
    }
  }
  return report;
}

}  // namespace spoa::tls
