#pragma once
// One certificate loaded from its files: the leaf, its chain, its private key, the DNS names it
// serves and an optional stapled OCSP response. Loaded on the main thread; immutable afterwards
// and shared by every worker (the OpenSSL objects are only read, never changed).
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "tls/file_stamp.h"
#include "tls/openssl_ptr.h"

namespace portico::tls {

struct Certificate {
  X509Ptr leaf;
  X509StackPtr chain;  // intermediates after the leaf, in file order (never null, may be empty)
  EvpPkeyPtr key;
  int key_type = 0;                // EVP_PKEY_RSA, EVP_PKEY_EC, ... (the key's base id)
  std::vector<std::string> names;  // lowercase subjectAltName DNS names ("*.x" kept), else the CN
  std::string ocsp_der;            // DER OCSP response to staple; "" = none
  // The stamps of the files as they were when read (cert, key, ocsp), for reloadIfChanged.
  FileStamp cert_stamp, key_stamp, ocsp_stamp;
};

// Loads `files` (PEM chain, PEM key, optional DER OCSP response). Returns nullptr with `error`
// = "FILE: what is wrong" (unreadable, no PEM certificate, no or encrypted key, key does not
// match the certificate, OCSP response unreadable/unsuccessful/for another certificate).
std::shared_ptr<const Certificate> loadCertificate(const config::TlsCertificate& files,
                                                   std::string& error);

// Loads a PEM chain (leaf first) from `path` into `leaf` and `chain`. Returns false with `error`
// = "PATH: ..." when the file cannot be read or holds no certificate.
bool loadCertChain(const std::string& path, X509Ptr& leaf, X509StackPtr& chain, std::string& error,
                   FileStamp* stamp = nullptr);

// Loads an unencrypted PEM private key. Returns nullptr with `error` = "PATH: ..." otherwise.
EvpPkeyPtr loadPrivateKey(const std::string& path, std::string& error, FileStamp* stamp = nullptr);

// Checks a PEM CA bundle (client_ca, a cluster's ca) before OpenSSL loads it. Returns "" when
// usable, else "PATH: what is wrong" (unreadable, no PEM certificate, every certificate in it
// has expired).
std::string checkCaFile(const std::string& path);

// The RFC 2253 text of an X.509 name (non-ASCII and control characters escaped).
std::string nameText(const X509_NAME* name);

}  // namespace portico::tls
