#pragma once
// Builds validated Conditions, shared by both config forms (the YAML `match:` map in
// config/loader.cc and the `when:` expression in router/expr_parser.h). Each maker returns null
// with a readable reason in *error when its input is invalid. Thread: config load only.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "router/condition.h"

namespace portico::router {

// How a text argument is compared.
enum class TextOp : uint8_t { Present, Exact, Prefix, Regex };

// host: "api.example.com" (exact), "*.example.com" (any sub-domain) or a regex on the
// lower-case host.
ConditionPtr makeHost(std::string_view pattern, TextOp op, std::string* error);
// path: exact, prefix or regex; exact and prefix values start with '/'.
ConditionPtr makePath(std::string_view value, TextOp op, std::string* error);
// method: one or more method tokens.
ConditionPtr makeMethods(const std::vector<std::string>& methods, std::string* error);
// header / cookie / query parameter `name` present, exact, prefix or regex.
ConditionPtr makeField(Condition::Kind kind, std::string_view name, TextOp op,
                       std::string_view value, std::string* error);
// client address in one of the CIDRs ("10.0.0.0/8", "2001:db8::/32", "192.0.2.7").
ConditionPtr makeClientIp(const std::vector<std::string>& cidrs, std::string* error);
// country (ISO 3166-1 alpha-2) or continent (AF AN AS EU NA OC SA) codes; needs `db`.
ConditionPtr makeGeo(Condition::Kind kind, const std::vector<std::string>& codes,
                     std::shared_ptr<const GeoDatabase> db, std::string* error);
// device: mobile, tablet, desktop, bot.
ConditionPtr makeDevice(const std::vector<std::string>& classes, std::string* error);
// language: the best of `available` (all of `best` when empty) is one of `best`.
ConditionPtr makeLanguage(const std::vector<std::string>& best,
                          const std::vector<std::string>& available, std::string* error);
// TLS SNI exact, "*.example.com" or regex.
ConditionPtr makeSni(std::string_view pattern, TextOp op, std::string* error);
ConditionPtr makeClientCert();
// all / any of `children`, not `child`. Never fail.
ConditionPtr makeAll(std::vector<ConditionPtr> children);
ConditionPtr makeAny(std::vector<ConditionPtr> children);
ConditionPtr makeNot(ConditionPtr child);

// Validates a host name or "*.suffix" and lower-cases it; "" or "*" mean any host. Returns
// false with a reason in *error.
bool normalizeHostPattern(std::string_view pattern, std::string* out, std::string* error);
// Validates a path value for exact / prefix tests (starts with '/', no spaces or controls);
// `what` names it in the message ("path_prefix must start with '/', got 'v1'").
bool validPathValue(std::string_view path, std::string_view what, std::string* error);

}  // namespace portico::router
