#pragma once
// A throwaway PKI for TLS tests: keys, a CA, leaf certificates with subjectAltNames, OCSP
// responses, written as PEM/DER files into a temporary directory (removed afterwards).
#include <dirent.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "tls/openssl_ptr.h"

namespace portico::tls::testing {

// A new RSA-2048 key (slow: tests share them through TestPki).
inline EvpPkeyPtr makeRsaKey() {
  return EvpPkeyPtr(EVP_RSA_gen(2048));
}
// A new ECDSA P-256 key.
inline EvpPkeyPtr makeEcKey() {
  return EvpPkeyPtr(EVP_EC_gen("P-256"));
}

inline void addExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) throw std::runtime_error("bad extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// A certificate for `key` with subject CN=`cn` and DNS subjectAltNames `sans` ("" = none),
// signed by issuer/issuer_key (self-signed when issuer is null). `ca` adds CA:TRUE.
inline X509Ptr makeCert(const std::string& cn, const std::string& sans, EVP_PKEY* key, X509* issuer,
                        EVP_PKEY* issuer_key, bool ca, long serial, long valid_from_s = -3600,
                        long valid_for_s = 86400 * 30) {
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), valid_from_s);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), valid_from_s + valid_for_s);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("portico test"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509* signer = issuer != nullptr ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  if (ca) {
    addExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    addExtension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    addExtension(cert.get(), signer, NID_basic_constraints, "CA:FALSE");
  }
  addExtension(cert.get(), signer, NID_subject_key_identifier, "hash");
  if (!sans.empty()) addExtension(cert.get(), signer, NID_subject_alt_name, sans.c_str());
  if (X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256()) == 0) {
    throw std::runtime_error("X509_sign failed");
  }
  return cert;
}

// A successful DER OCSP response saying `leaf` (issued by `issuer`) is good for `valid_for_s`.
inline std::string makeOcspResponse(X509* leaf, X509* issuer, EVP_PKEY* issuer_key,
                                    long valid_for_s = 86400) {
  OCSP_BASICRESP* basic = OCSP_BASICRESP_new();
  OCSP_CERTID* id = OCSP_cert_to_id(nullptr, leaf, issuer);
  ASN1_TIME* now = X509_gmtime_adj(nullptr, 0);
  ASN1_TIME* next = X509_gmtime_adj(nullptr, valid_for_s);
  OCSP_basic_add1_status(basic, id, V_OCSP_CERTSTATUS_GOOD, 0, nullptr, now, next);
  OCSP_basic_sign(basic, issuer, issuer_key, EVP_sha256(), nullptr, 0);
  OCSP_RESPONSE* resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic);
  unsigned char* der = nullptr;
  const int n = i2d_OCSP_RESPONSE(resp, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  OCSP_RESPONSE_free(resp);
  ASN1_TIME_free(now);
  ASN1_TIME_free(next);
  OCSP_CERTID_free(id);
  OCSP_BASICRESP_free(basic);
  return out;
}

inline std::string pemOf(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

inline std::string pemOf(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

inline void writeFile(const std::string& path, const std::string& data) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << data;
  }
  std::rename(tmp.c_str(), path.c_str());  // atomic replace: a new inode each time
}

// A temporary directory with a CA and a set of leaf certificates:
//   a-rsa, a-ec: a.test and www.a.test (RSA and ECDSA), wild-ec: *.w.test, b-rsa: b.test,
//   client: a client certificate (CN=client one), other-ca: a second unrelated CA.
// Each leaf NAME has NAME.pem (leaf + CA) and NAME.key. ca.pem holds the CA.
class TestPki {
 public:
  TestPki() {
    char tmpl[] = "/tmp/portico-tls-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    ca_key_ = makeEcKey();
    ca_ = makeCert("portico test CA", "", ca_key_.get(), nullptr, nullptr, true, 1);
    writeFile(path("ca.pem"), pemOf(ca_.get()));
    rsa_key_ = makeRsaKey();
    addLeaf("a-rsa", "a.test", "DNS:a.test,DNS:www.a.test", rsa_key_.get());
    addLeaf("a-ec", "a.test", "DNS:a.test,DNS:www.a.test", nullptr);
    addLeaf("wild-ec", "*.w.test", "DNS:*.w.test", nullptr);
    addLeaf("b-rsa", "b.test", "DNS:b.test", rsa_key_.get());
    addLeaf("client", "client one", "", nullptr);
    other_ca_key_ = makeEcKey();
    X509Ptr other = makeCert("other CA", "", other_ca_key_.get(), nullptr, nullptr, true, 2);
    writeFile(path("other-ca.pem"), pemOf(other.get()));
  }
  ~TestPki() {
    if (DIR* d = ::opendir(dir_.c_str())) {
      while (dirent* e = ::readdir(d)) {
        const std::string name = e->d_name;
        if (name != "." && name != "..") ::unlink(path(name).c_str());
      }
      ::closedir(d);
    }
    ::rmdir(dir_.c_str());
  }
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;

  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  std::string cert(const std::string& leaf) const { return path(leaf + ".pem"); }
  std::string key(const std::string& leaf) const { return path(leaf + ".key"); }
  std::string ca() const { return path("ca.pem"); }

  // (Re)writes NAME.pem/NAME.key: a new certificate signed by the CA for `sans`; key null =
  // a new ECDSA key. Returns the leaf.
  X509* addLeaf(const std::string& name, const std::string& cn, const std::string& sans,
                EVP_PKEY* key) {
    EvpPkeyPtr fresh;
    if (key == nullptr) {
      fresh = makeEcKey();
      key = fresh.get();
    }
    X509Ptr leaf = makeCert(cn, sans, key, ca_.get(), ca_key_.get(), false, ++serial_);
    writeFile(cert(name), pemOf(leaf.get()) + pemOf(ca_.get()));
    writeFile(this->key(name), pemOf(key));
    X509* raw = leaf.get();
    leaves_.push_back(std::move(leaf));
    keys_.push_back(std::move(fresh));
    return raw;
  }

  // Writes NAME.ocsp: a good OCSP response for `leaf`, valid for `valid_for_s`.
  std::string writeOcsp(const std::string& name, X509* leaf, long valid_for_s = 86400) {
    writeFile(path(name + ".ocsp"), makeOcspResponse(leaf, ca_.get(), ca_key_.get(), valid_for_s));
    return path(name + ".ocsp");
  }

  X509* leafCert(size_t i) const { return leaves_.at(i).get(); }
  X509* caCert() const { return ca_.get(); }
  EVP_PKEY* rsaKey() const { return rsa_key_.get(); }

 private:
  std::string dir_;
  EvpPkeyPtr ca_key_, rsa_key_, other_ca_key_;
  X509Ptr ca_;
  std::vector<X509Ptr> leaves_;
  std::vector<EvpPkeyPtr> keys_;
  long serial_ = 100;
};

}  // namespace portico::tls::testing
