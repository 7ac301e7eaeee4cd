#include "router/condition.h"

#include "router/match/accept_language.h"
#include "router/match/client_address.h"
#include "router/match/request_fields.h"

namespace portico::router {

std::string_view EvalContext::query() {
  if (!have_query_) {
    query_ = targetQuery(view_.target);
    have_query_ = true;
  }
  return query_;
}

DeviceClass EvalContext::device() {
  if (!have_device_) {
    std::string_view ua;
    findHeader(view_, "user-agent", &ua);
    device_ = classifyUserAgent(ua);
    have_device_ = true;
  }
  return device_;
}

const sockaddr* EvalContext::client() {
  if (!have_client_) {
    client_ = resolveClientAddress(view_, client_scratch_);
    have_client_ = true;
  }
  return client_;
}

const GeoInfo& EvalContext::geo(const GeoDatabase& db) {
  if (!have_geo_) {
    geo_ = db.lookup(client());
    have_geo_ = true;
  }
  return geo_;
}

namespace {

bool contains(const std::vector<std::string>& list, std::string_view v) {
  for (const std::string& s : list)
    if (s == v) return true;
  return false;
}

}  // namespace

bool Condition::evaluate(EvalContext& ctx) const {
  switch (kind) {
    case Kind::All:
      for (const ConditionPtr& c : children)
        if (!c->evaluate(ctx)) return false;
      return true;
    case Kind::Any:
      for (const ConditionPtr& c : children)
        if (c->evaluate(ctx)) return true;
      return false;
    case Kind::Not:
      return !children[0]->evaluate(ctx);
    case Kind::Host:
      return text.matches(ctx.host());
    case Kind::Path:
      return text.matches(ctx.path());
    case Kind::Method:
      return contains(values, ctx.view().method);
    case Kind::Header:
      return forEachHeader(ctx.view(), name, [&](std::string_view v) { return text.matches(v); });
    case Kind::Cookie: {
      std::string_view v;
      return findCookie(ctx.view(), name, &v) && text.matches(v);
    }
    case Kind::Query: {
      std::string_view v;
      return findQueryParam(ctx.query(), name, &v) && text.matches(v);
    }
    case Kind::ClientIp: {
      const sockaddr* sa = ctx.client();
      return sa && cidrs.contains(sa);
    }
    case Kind::Country:
      return contains(values, ctx.geo(*geo).countryCode());
    case Kind::Continent:
      return contains(values, ctx.geo(*geo).continentCode());
    case Kind::Device:
      return (devices >> static_cast<unsigned>(ctx.device())) & 1u;
    case Kind::Language: {
      std::string_view header;
      if (!findHeader(ctx.view(), "accept-language", &header)) return false;
      int best = bestLanguage(header, available);
      return best >= 0 && contains(values, available[static_cast<size_t>(best)]);
    }
    case Kind::Sni:
      return !ctx.view().sni.empty() && text.matches(ctx.view().sni);
    case Kind::ClientCert:
      return ctx.view().client_cert;
  }
  return false;
}

namespace {

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string quoteList(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : ", ") + quote(s);
  return out;
}

// name(args) for a text test: name("v") exact/wildcard, name_prefix, name_regex, name() present.
std::string textCall(std::string_view fn, const std::string* first, const TextMatcher& t) {
  std::string f(fn), args = first ? quote(*first) : "";
  auto add = [&](const std::string& v) { args += (args.empty() ? "" : ", ") + quote(v); };
  switch (t.kind()) {
    case TextMatcher::Kind::Present:
      break;
    case TextMatcher::Kind::Exact:
      add(t.value());
      break;
    case TextMatcher::Kind::Prefix:
      f += "_prefix";
      add(t.value());
      break;
    case TextMatcher::Kind::Suffix:
      add("*" + t.value());
      break;
    case TextMatcher::Kind::Regex:
      f += "_regex";
      add(t.value());
      break;
  }
  return f + "(" + args + ")";
}

}  // namespace

std::string Condition::describe() const {
  switch (kind) {
    case Kind::All:
    case Kind::Any: {
      if (children.empty()) return kind == Kind::All ? "true" : "false";
      std::string out;
      for (const ConditionPtr& c : children) {
        std::string s = c->describe();
        const bool wrap = c->kind == Kind::All || c->kind == Kind::Any;
        if (!out.empty()) out += kind == Kind::All ? " && " : " || ";
        out += wrap && c->children.size() > 1 ? "(" + s + ")" : s;
      }
      return out;
    }
    case Kind::Not: {
      const Condition& c = *children[0];
      const bool wrap = (c.kind == Kind::All || c.kind == Kind::Any) && c.children.size() > 1;
      return "!" + (wrap ? "(" + c.describe() + ")" : c.describe());
    }
    case Kind::Host:
      return textCall("host", nullptr, text);
    case Kind::Path:
      return textCall("path", nullptr, text);
    case Kind::Method:
      return "method(" + quoteList(values) + ")";
    case Kind::Header:
      return textCall("header", &name, text);
    case Kind::Cookie:
      return textCall("cookie", &name, text);
    case Kind::Query:
      return textCall("query", &name, text);
    case Kind::ClientIp: {
      std::vector<std::string> v;
      for (const net::Cidr& c : cidrs.entries()) v.push_back(c.toString());
      return "client_ip(" + quoteList(v) + ")";
    }
    case Kind::Country:
      return "country(" + quoteList(values) + ")";
    case Kind::Continent:
      return "continent(" + quoteList(values) + ")";
    case Kind::Device: {
      std::vector<std::string> v;
      for (unsigned d = 0; d < 4; ++d)
        if ((devices >> d) & 1u) v.emplace_back(deviceClassName(static_cast<DeviceClass>(d)));
      return "device(" + quoteList(v) + ")";
    }
    case Kind::Language:
      return "language([" + quoteList(values) + "], [" + quoteList(available) + "])";
    case Kind::Sni:
      return textCall("sni", nullptr, text);
    case Kind::ClientCert:
      return "client_cert()";
  }
  return "?";
}

}  // namespace portico::router
