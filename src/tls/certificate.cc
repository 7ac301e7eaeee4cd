#include "tls/certificate.h"

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>

#include "core/log.h"
#include "tls/openssl_error.h"

namespace portico::tls {
namespace {

// Reads `path` with its stamp taken before the read (a change during the read is seen next time).
bool readFile(const std::string& path, std::string& text, std::string& error, FileStamp* stamp) {
  if (stamp != nullptr) *stamp = stampOf(path);
  if (!readWholeFile(path, text, error)) {
    error = path + ": " + error;
    return false;
  }
  return true;
}

BioPtr memoryBio(const std::string& text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// A password callback that refuses: an encrypted key fails instead of prompting on the tty.
int noPassword(char*, int, int, void*) {
  return -1;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::vector<std::string> dnsNamesOf(X509* leaf) {
  std::vector<std::string> names;
  auto* sans =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(leaf, NID_subject_alt_name, nullptr, nullptr));
  if (sans != nullptr) {
    for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
      const GENERAL_NAME* gn = sk_GENERAL_NAME_value(sans, i);
      if (gn->type != GEN_DNS) continue;
      const ASN1_STRING* s = gn->d.dNSName;
      names.push_back(lower(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                        static_cast<size_t>(ASN1_STRING_length(s)))));
    }
    GENERAL_NAMES_free(sans);
  }
  if (!names.empty()) return names;
  // No DNS subjectAltName: the legacy common name.
  const X509_NAME* subject = X509_get_subject_name(leaf);
  const int idx = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (idx >= 0) {
    const ASN1_STRING* cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, idx));
    unsigned char* utf8 = nullptr;
    const int n = ASN1_STRING_to_UTF8(&utf8, cn);
    if (n > 0) names.push_back(lower(std::string(reinterpret_cast<char*>(utf8), n)));
    OPENSSL_free(utf8);
  }
  return names;
}

// Checks the DER OCSP response in `der` is successful and, when the issuer is known, about
// `leaf`. Returns "" when good, else what is wrong.
std::string checkOcsp(const std::string& der, X509* leaf, STACK_OF(X509) * chain) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  OCSP_RESPONSE* resp = d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size()));
  if (resp == nullptr) {
    ERR_clear_error();
    return "not a DER OCSP response";
  }
  std::string problem;
  const int status = OCSP_response_status(resp);
  if (status != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
    problem = std::string("the OCSP response status is ") + OCSP_response_status_str(status);
  } else if (sk_X509_num(chain) > 0) {
    OCSP_BASICRESP* basic = OCSP_response_get1_basic(resp);
    OCSP_CERTID* id = OCSP_cert_to_id(nullptr, leaf, sk_X509_value(chain, 0));
    int cert_status = 0;
    if (basic == nullptr || id == nullptr ||
        OCSP_resp_find_status(basic, id, &cert_status, nullptr, nullptr, nullptr, nullptr) != 1) {
      problem = "the OCSP response is not about this certificate";
    } else if (cert_status == V_OCSP_CERTSTATUS_REVOKED) {
      problem = "the OCSP response says the certificate is revoked";
    }
    OCSP_CERTID_free(id);
    OCSP_BASICRESP_free(basic);
  }
  OCSP_RESPONSE_free(resp);
  ERR_clear_error();
  return problem;
}

// "notAfter" of `cert` as text, e.g. "Jan  1 00:00:00 2026 GMT".
std::string notAfterText(const X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  ASN1_TIME_print(bio.get(), X509_get0_notAfter(cert));
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string("?");
}

// Logs a warning for a leaf that is expired or not valid yet: clients will refuse it, but a
// restart must not take the whole listener down for it (nginx and HAProxy load it too).
void warnIfNotValidNow(const std::string& path, const X509* leaf) {
  if (X509_cmp_current_time(X509_get0_notAfter(leaf)) < 0) {
    log::warn("{}: the certificate expired on {}; clients will refuse it", path,
              notAfterText(leaf));
  } else if (X509_cmp_current_time(X509_get0_notBefore(leaf)) > 0) {
    log::warn("{}: the certificate is not valid yet; clients will refuse it", path);
  }
}

}  // namespace

std::string checkCaFile(const std::string& path) {
  std::string text, error;
  if (!readFile(path, text, error, nullptr)) return error;
  BioPtr bio = memoryBio(text);
  int count = 0, expired = 0;
  std::string last_expiry;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    ++count;
    if (X509_cmp_current_time(X509_get0_notAfter(cert)) < 0) {
      ++expired;
      last_expiry = notAfterText(cert);
    }
    X509_free(cert);
  }
  ERR_clear_error();
  if (count == 0) {
    return path + ": no PEM CA certificate found (expected -----BEGIN CERTIFICATE-----)";
  }
  if (expired == count) {
    return path + ": every CA certificate in the file has expired (" +
           (count == 1 ? "on " + last_expiry : std::to_string(count) + " certificates") + ")";
  }
  return "";
}

bool loadCertChain(const std::string& path, X509Ptr& leaf, X509StackPtr& chain, std::string& error,
                   FileStamp* stamp) {
  std::string text;
  if (!readFile(path, text, error, stamp)) return false;
  BioPtr bio = memoryBio(text);
  leaf.reset(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!leaf) {
    ERR_clear_error();
    error = path + ": no PEM certificate found (expected -----BEGIN CERTIFICATE-----)";
    return false;
  }
  chain.reset(sk_X509_new_null());
  while (X509* next = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    sk_X509_push(chain.get(), next);
  }
  const unsigned long last = ERR_peek_last_error();
  if (ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE) {
    ERR_clear_error();  // the normal end of the file
  } else if (last != 0) {
    error = path + ": certificate " + std::to_string(sk_X509_num(chain.get()) + 2) +
            " in the file is broken: " + takeOpensslErrors();
    return false;
  }
  return true;
}

EvpPkeyPtr loadPrivateKey(const std::string& path, std::string& error, FileStamp* stamp) {
  std::string text;
  if (!readFile(path, text, error, stamp)) return nullptr;
  BioPtr bio = memoryBio(text);
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, noPassword, nullptr));
  if (!key) {
    ERR_clear_error();
    if (text.find("ENCRYPTED") != std::string::npos) {
      error = path + ": the private key is encrypted; portico needs it unencrypted " +
              "(openssl pkey -in KEY -out KEY.plain)";
    } else {
      error = path + ": no PEM private key found (expected -----BEGIN PRIVATE KEY-----)";
    }
  }
  return key;
}

std::shared_ptr<const Certificate> loadCertificate(const config::TlsCertificate& files,
                                                   std::string& error) {
  auto c = std::make_shared<Certificate>();
  if (!loadCertChain(files.cert_file, c->leaf, c->chain, error, &c->cert_stamp)) return nullptr;
  c->key = loadPrivateKey(files.key_file, error, &c->key_stamp);
  if (!c->key) return nullptr;
  if (X509_check_private_key(c->leaf.get(), c->key.get()) != 1) {
    ERR_clear_error();
    error =
        files.key_file + ": the private key does not match the certificate in " + files.cert_file;
    return nullptr;
  }
  warnIfNotValidNow(files.cert_file, c->leaf.get());
  c->key_type = EVP_PKEY_get_base_id(c->key.get());
  c->names = dnsNamesOf(c->leaf.get());
  if (!files.ocsp_file.empty()) {
    if (!readFile(files.ocsp_file, c->ocsp_der, error, &c->ocsp_stamp)) return nullptr;
    const std::string problem = checkOcsp(c->ocsp_der, c->leaf.get(), c->chain.get());
    if (!problem.empty()) {
      error = files.ocsp_file + ": " + problem;
      return nullptr;
    }
  }
  return c;
}

std::string nameText(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) return "";
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}

}  // namespace portico::tls
