#pragma once
// A CA bundle file that is re-read when it changes: the trust anchors for client certificates
// (listener client_ca) or for servers (cluster ca). The main thread reloads it; every new SSL
// takes the current store (SSL_set1_verify_cert_store), so handshakes already running keep the
// store they started with and no SSL_CTX is modified while workers use it.
// Thread: reloadIfChanged() on one thread (main); applyTo() from any thread.
#include <openssl/ssl.h>

#include <atomic>
#include <memory>
#include <string>

#include "tls/file_stamp.h"

namespace portico::tls {

class CaStore {
 public:
  // Loads `path`. Throws config::ConfigError naming the file when it holds no usable CA.
  // A non-empty `session_context` makes applyTo() also set the SSL's session id context to a
  // digest of it and the file's bytes, so sessions only resume under the CAs they were made
  // with (server side).
  explicit CaStore(std::string path, std::string session_context = "");
  ~CaStore();
  CaStore(const CaStore&) = delete;
  CaStore& operator=(const CaStore&) = delete;

  // Re-reads the file when its mtime, size or inode changed. A file that cannot be used keeps
  // the previous CAs (false, `error` says why); unchanged or reloaded: true.
  bool reloadIfChanged(std::string& error);
  // Makes `ssl` verify its peer against the current CAs; with `client_ca_names`, also lists
  // their subjects in the CertificateRequest (server side). False when OpenSSL fails.
  bool applyTo(SSL* ssl, bool client_ca_names) const;
  const std::string& path() const { return path_; }

 private:
  struct Loaded;
  // Builds a store from the file; null with `error` set when it is unusable.
  std::shared_ptr<const Loaded> load(std::string& error) const;

  std::string path_;
  std::string session_context_;
  FileStamp seen_;
  std::atomic<std::shared_ptr<const Loaded>> current_;
};

}  // namespace portico::tls
