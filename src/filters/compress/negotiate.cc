#include "filters/compress/negotiate.h"

#include <cctype>

#include "http/header_id.h"

namespace portico::filters::compress {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// q-value in thousandths (RFC 9110 §12.4.2): "1", "1.000", "0", "0.5", "0.123". -1 if invalid.
int parseQ(std::string_view v) {
  if (v.empty() || v.size() > 5) return -1;
  if (v[0] == '1') {
    for (size_t i = 1; i < v.size(); ++i)
      if ((i == 1 && v[i] != '.') || (i > 1 && v[i] != '0')) return -1;
    return 1000;
  }
  if (v[0] != '0') return -1;
  if (v.size() == 1) return 0;
  if (v[1] != '.') return -1;
  int q = 0, scale = 100;
  for (size_t i = 2; i < v.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(v[i]))) return -1;
    q += (v[i] - '0') * scale;
    scale /= 10;
  }
  return q;
}

}  // namespace

std::string_view codingName(Coding c) {
  switch (c) {
    case Coding::Gzip:
      return "gzip";
    case Coding::Brotli:
      return "br";
    case Coding::Zstd:
      return "zstd";
    case Coding::Identity:
      break;
  }
  return "identity";
}

bool parseCoding(std::string_view name, Coding& out) {
  if (http::equalsIgnoreCase(name, "gzip") || http::equalsIgnoreCase(name, "x-gzip")) {
    out = Coding::Gzip;
  } else if (http::equalsIgnoreCase(name, "br")) {
    out = Coding::Brotli;
  } else if (http::equalsIgnoreCase(name, "zstd")) {
    out = Coding::Zstd;
  } else if (http::equalsIgnoreCase(name, "identity")) {
    out = Coding::Identity;
  } else {
    return false;
  }
  return true;
}

Coding negotiate(std::string_view header, std::span<const Coding> enabled) {
  constexpr int kUnset = -2;
  int q_named[4] = {kUnset, kUnset, kUnset, kUnset};  // by Coding value
  int q_star = kUnset;
  while (!header.empty()) {
    size_t comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    size_t semi = item.find(';');
    std::string_view name = trim(item.substr(0, semi));
    int q = 1000;
    if (semi != std::string_view::npos) {
      std::string_view params = item.substr(semi + 1);
      q = -1;
      // Only the q parameter is defined for Accept-Encoding.
      std::string_view p = trim(params);
      if (p.size() > 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=')
        q = parseQ(trim(p.substr(2)));
      if (q < 0) continue;  // malformed: ignore this member
    }
    if (name.empty()) continue;
    if (name == "*") {
      q_star = q;
      continue;
    }
    Coding c;
    if (parseCoding(name, c)) q_named[static_cast<int>(c)] = q;
  }
  Coding best = Coding::Identity;
  int best_q = 0;
  for (Coding c : enabled) {
    if (c == Coding::Identity) continue;
    int q = q_named[static_cast<int>(c)];
    if (q == kUnset) q = q_star == kUnset ? 0 : q_star;
    if (q > best_q) {
      best = c;
      best_q = q;
    }
  }
  return best;
}

bool typeMatches(std::string_view content_type, const std::vector<std::string>& types) {
  std::string_view t = trim(content_type.substr(0, content_type.find(';')));
  if (t.empty()) return false;
  for (const std::string& want : types) {
    std::string_view w = want;
    if (w.size() >= 2 && w.substr(w.size() - 2) == "/*") {
      std::string_view major = w.substr(0, w.size() - 1);  // "text/"
      if (t.size() > major.size() && http::equalsIgnoreCase(t.substr(0, major.size()), major))
        return true;
    } else if (http::equalsIgnoreCase(t, w)) {
      return true;
    }
  }
  return false;
}

}  // namespace portico::filters::compress
