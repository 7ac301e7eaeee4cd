#pragma once
// The certificates of one listener indexed by the names they serve, for SNI. Built on the main
// thread; immutable afterwards, so workers read it without locks.
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tls/certificate.h"

namespace portico::tls {

class CertSet {
 public:
  // The certificates to offer for one name: at most one per key type (RSA, ECDSA, ...), the
  // first configured of each; OpenSSL picks among them by the client's signature algorithms.
  using Selection = std::vector<const Certificate*>;

  // `certs` must not be empty; certs[0] is the default (with the certificates of other key
  // types that serve its first name).
  explicit CertSet(std::vector<std::shared_ptr<const Certificate>> certs);

  // The certificates for `server_name` (the SNI, any case): an exact name, else a wildcard
  // "*.parent" whose parent is server_name without its first label, else the default. Never
  // empty. Allocation-free; any thread.
  const Selection& select(std::string_view server_name) const;

  // The OCSP response (DER) to staple for the certificate whose leaf is `leaf`; nullptr when it
  // has none or is not in this set. Any thread.
  const std::string* ocspFor(const X509* leaf) const;

  const std::vector<std::shared_ptr<const Certificate>>& certificates() const { return certs_; }

 private:
  using Index = std::vector<std::pair<std::string, Selection>>;  // sorted by name
  static void add(Index& index, const std::string& name, const Certificate* c);
  static const Selection* find(const Index& index, std::string_view name);

  std::vector<std::shared_ptr<const Certificate>> certs_;
  Index exact_;
  Index wildcard_;  // keyed by the parent: "*.example.com" -> "example.com"
  Selection default_;
};

}  // namespace portico::tls
