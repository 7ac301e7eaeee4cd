#pragma once
// The admin API's request -> action mapping, without sockets: AdminServer feeds it every request
// and tests call it directly. Endpoints and their JSON are described in docs/admin_api.md.
// Thread: whichever thread owns the ClusterAdmin (the main thread); no state of its own.
#include <optional>
#include <string>
#include <string_view>

#include "admin/cluster_admin.h"

namespace portico::admin {

// Largest request body the admin API accepts (bigger -> 413).
inline constexpr size_t kMaxAdminBody = 64 * 1024;

struct AdminReply {
  int status;
  std::string body;   // JSON text; errors are {"error": "..."}
  std::string allow;  // value of the Allow header; set (only) on 405
};

// Answers one admin request. `method` is the request method as received (case-sensitive),
// `target` the request-target (origin-form; a query string is ignored, absolute-form is reduced
// to its path), `body` the complete request body. HEAD is answered like GET (the caller drops
// the body). Never throws: a failure inside `api` becomes a 500 reply. Path segments are
// percent-decoded after splitting on '/', so "%5B%3A%3A1%5D%3A9001" names [::1]:9001; a server
// address written differently from the cluster's listing ("[0::1]:9001") is matched by the
// socket address it parses to and passed to `api` as listed.
AdminReply handleAdminRequest(ClusterAdmin& api, std::string_view method, std::string_view target,
                              std::string_view body);

// A reply with status `status` and body {"error": message}.
AdminReply adminErrorReply(int status, std::string_view message);

// Decodes %XX escapes in one path segment ('+' stays '+'). Returns nullopt when an escape is
// malformed (not two hex digits).
std::optional<std::string> percentDecode(std::string_view segment);

// "enabled", "draining" or "disabled".
const char* adminStateName(upstream::AdminState state);

}  // namespace portico::admin
