#include "router/condition_factory.h"

#include <algorithm>
#include <cctype>
#include <optional>

namespace portico::router {
namespace {

std::shared_ptr<Condition> node(Condition::Kind k) {
  auto c = std::make_shared<Condition>();
  c->kind = k;
  return c;
}

bool isTokenChar(unsigned char ch) {
  return std::isalnum(ch) ||
         std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(ch)) != std::string_view::npos;
}

bool isToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return isTokenChar(static_cast<unsigned char>(c));
  });
}

bool hasControl(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) == 0x7f;
  });
}

// Sets c->text from (op, value). Host/SNI exact values are lower-cased and may be wildcards.
bool setText(Condition& c, TextOp op, std::string_view value, std::string* error) {
  switch (op) {
    case TextOp::Present:
      c.text = TextMatcher();
      return true;
    case TextOp::Exact:
      c.text = TextMatcher::exact(std::string(value));
      return true;
    case TextOp::Prefix:
      c.text = TextMatcher::prefix(std::string(value));
      return true;
    case TextOp::Regex:
      if (TextMatcher::regex(value, c.text, error)) return true;
      *error = "invalid regular expression '" + std::string(value) + "': " + *error;
      return false;
  }
  return false;
}

ConditionPtr hostLike(Condition::Kind kind, std::string_view pattern, TextOp op,
                      std::string* error) {
  auto c = node(kind);
  if (op == TextOp::Regex) return setText(*c, op, pattern, error) ? c : nullptr;
  std::string host;
  if (!normalizeHostPattern(pattern, &host, error)) return nullptr;
  if (host.empty()) {
    *error = "a host is required";
    return nullptr;
  }
  c->text = host.starts_with("*.") ? TextMatcher::suffix(host.substr(1), true)
                                   : TextMatcher::exact(host, true);
  return c;
}

std::vector<std::string> dedupe(std::vector<std::string> v) {
  std::vector<std::string> out;
  for (std::string& s : v)
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(std::move(s));
  return out;
}

}  // namespace

bool normalizeHostPattern(std::string_view pattern, std::string* out, std::string* error) {
  std::string h(pattern);
  std::transform(h.begin(), h.end(), h.begin(), [](char ch) { return lowerAscii(ch); });
  if (h.empty() || h == "*") {
    out->clear();
    return true;
  }
  const std::string_view rest = std::string_view(h).substr(h.starts_with("*.") ? 2 : 0);
  bool v6 = rest.size() > 2 && rest.front() == '[' && rest.back() == ']';
  const bool valid = v6 || (!rest.empty() && rest.front() != '.' && rest.back() != '.' &&
                            rest.find("..") == std::string_view::npos &&
                            std::all_of(rest.begin(), rest.end(), [](char ch) {
                              return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                                     ch == '-' || ch == '.' || ch == '_';
                            }));
  if (!valid) {
    *error = "invalid host '" + std::string(pattern) +
             "' (expected a host name like api.example.com or *.example.com, without port)";
    return false;
  }
  *out = std::move(h);
  return true;
}

bool validPathValue(std::string_view path, std::string_view what, std::string* error) {
  if (!path.starts_with("/")) {
    *error = std::string(what) + " must start with '/', got '" + std::string(path) + "'";
    return false;
  }
  if (std::any_of(path.begin(), path.end(),
                  [](unsigned char ch) { return ch <= ' ' || ch == 0x7f; })) {
    *error = std::string(what) + " must not contain spaces or control characters";
    return false;
  }
  return true;
}

ConditionPtr makeHost(std::string_view pattern, TextOp op, std::string* error) {
  return hostLike(Condition::Kind::Host, pattern, op, error);
}

ConditionPtr makeSni(std::string_view pattern, TextOp op, std::string* error) {
  return hostLike(Condition::Kind::Sni, pattern, op, error);
}

ConditionPtr makePath(std::string_view value, TextOp op, std::string* error) {
  if (op != TextOp::Regex &&
      !validPathValue(value, op == TextOp::Exact ? "path" : "path_prefix", error))
    return nullptr;
  auto c = node(Condition::Kind::Path);
  return setText(*c, op, value, error) ? c : nullptr;
}

ConditionPtr makeMethods(const std::vector<std::string>& methods, std::string* error) {
  if (methods.empty()) {
    *error = "at least one method is required";
    return nullptr;
  }
  for (const std::string& m : methods) {
    if (!isToken(m)) {
      *error = "invalid method '" + m + "'";
      return nullptr;
    }
  }
  auto c = node(Condition::Kind::Method);
  c->values = dedupe(methods);
  return c;
}

ConditionPtr makeField(Condition::Kind kind, std::string_view name, TextOp op,
                       std::string_view value, std::string* error) {
  if (!isToken(name)) {
    *error = "invalid name '" + std::string(name) + "'";
    return nullptr;
  }
  if (op != TextOp::Regex && hasControl(value)) {
    *error = "a value must not contain control characters";
    return nullptr;
  }
  auto c = node(kind);
  c->name = std::string(name);
  if (kind == Condition::Kind::Header)
    std::transform(c->name.begin(), c->name.end(), c->name.begin(),
                   [](char ch) { return lowerAscii(ch); });
  return setText(*c, op, value, error) ? c : nullptr;
}

ConditionPtr makeClientIp(const std::vector<std::string>& cidrs, std::string* error) {
  if (cidrs.empty()) {
    *error = "at least one address or CIDR is required";
    return nullptr;
  }
  auto c = node(Condition::Kind::ClientIp);
  for (const std::string& s : cidrs)
    if (!c->cidrs.add(s, error)) return nullptr;
  return c;
}

ConditionPtr makeGeo(Condition::Kind kind, const std::vector<std::string>& codes,
                     std::shared_ptr<const GeoDatabase> db, std::string* error) {
  const bool country = kind == Condition::Kind::Country;
  if (!db) {
    *error = std::string(country ? "country" : "continent") +
             " needs a geolocation database: set geoip: { database: FILE } at the top level";
    return nullptr;
  }
  if (codes.empty()) {
    *error = "at least one code is required";
    return nullptr;
  }
  auto c = node(kind);
  for (std::string code : codes) {
    std::transform(code.begin(), code.end(), code.begin(), [](char ch) {
      return (ch >= 'a' && ch <= 'z') ? static_cast<char>(ch - 32) : ch;
    });
    const bool ok = country ? !continentOf(code).empty() : isContinentCode(code);
    if (!ok) {
      *error = "unknown " +
               std::string(country ? "country code '" + code + "' (expected ISO 3166-1 alpha-2)"
                                   : "continent code '" + code +
                                         "' (expected one of AF, AN, AS, EU, NA, OC, SA)");
      return nullptr;
    }
    c->values.push_back(code);
  }
  c->values = dedupe(std::move(c->values));
  c->geo = std::move(db);
  return c;
}

ConditionPtr makeDevice(const std::vector<std::string>& classes, std::string* error) {
  if (classes.empty()) {
    *error = "at least one device class is required";
    return nullptr;
  }
  auto c = node(Condition::Kind::Device);
  for (const std::string& s : classes) {
    std::optional<DeviceClass> d = parseDeviceClass(s);
    if (!d) {
      *error = "unknown device class '" + s + "' (expected mobile, tablet, desktop or bot)";
      return nullptr;
    }
    c->devices |= static_cast<uint8_t>(1u << static_cast<unsigned>(*d));
  }
  return c;
}

ConditionPtr makeLanguage(const std::vector<std::string>& best,
                          const std::vector<std::string>& available, std::string* error) {
  auto lower = [](std::vector<std::string> v) {
    for (std::string& s : v)
      std::transform(s.begin(), s.end(), s.begin(), [](char ch) { return lowerAscii(ch); });
    return dedupe(std::move(v));
  };
  auto c = node(Condition::Kind::Language);
  c->values = lower(best);
  c->available = available.empty() ? c->values : lower(available);
  if (c->values.empty()) {
    *error = "at least one language is required";
    return nullptr;
  }
  for (const std::vector<std::string>* list : {&c->values, &c->available}) {
    for (const std::string& tag : *list) {
      const bool ok = !tag.empty() && tag.size() <= 35 && tag.front() != '-' && tag.back() != '-' &&
                      std::all_of(tag.begin(), tag.end(), [](char ch) {
                        return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-';
                      });
      if (!ok) {
        *error = "invalid language tag '" + tag + "' (expected e.g. en, fr, pt-br)";
        return nullptr;
      }
    }
  }
  for (const std::string& tag : c->values) {
    if (std::find(c->available.begin(), c->available.end(), tag) == c->available.end()) {
      *error = "language '" + tag + "' is not in the list of available languages";
      return nullptr;
    }
  }
  return c;
}

ConditionPtr makeClientCert() {
  return node(Condition::Kind::ClientCert);
}

ConditionPtr makeAll(std::vector<ConditionPtr> children) {
  if (children.size() == 1) return children[0];
  auto c = node(Condition::Kind::All);
  c->children = std::move(children);
  return c;
}

ConditionPtr makeAny(std::vector<ConditionPtr> children) {
  if (children.size() == 1) return children[0];
  auto c = node(Condition::Kind::Any);
  c->children = std::move(children);
  return c;
}

ConditionPtr makeNot(ConditionPtr child) {
  auto c = node(Condition::Kind::Not);
  c->children.push_back(std::move(child));
  return c;
}

}  // namespace portico::router
