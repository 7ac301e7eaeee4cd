#include "router/match/accept_language.h"

#include "router/match/text_matcher.h"

namespace portico::router {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// True when `lower` (lower-case) starts with `range` (any case) followed by '-'.
bool isSubtagPrefix(std::string_view range, std::string_view lower) {
  return lower.size() > range.size() && lower[range.size()] == '-' &&
         equalsLower(range, lower.substr(0, range.size()));
}

// How specifically `range` covers `tag`: 4 same, 3 range is a prefix, 2 tag is a prefix,
// 1 wildcard, 0 not at all.
int specificity(std::string_view range, std::string_view tag) {
  if (equalsLower(range, tag)) return 4;
  if (isSubtagPrefix(range, tag)) return 3;
  if (range.size() > tag.size() && range[tag.size()] == '-' &&
      equalsLower(range.substr(0, tag.size()), tag))
    return 2;
  if (range == "*") return 1;
  return 0;
}

}  // namespace

int parseQuality(std::string_view q) {
  if (q.empty() || q.size() > 5) return -1;
  if (q[0] == '1') {
    if (q.size() == 1) return 1000;
    if (q[1] != '.') return -1;
    for (size_t i = 2; i < q.size(); ++i)
      if (q[i] != '0') return -1;
    return 1000;
  }
  if (q[0] != '0') return -1;
  if (q.size() == 1) return 0;
  if (q[1] != '.') return -1;
  int v = 0, scale = 100;
  for (size_t i = 2; i < q.size(); ++i, scale /= 10) {
    if (q[i] < '0' || q[i] > '9') return -1;
    v += (q[i] - '0') * scale;
  }
  return v;
}

int bestLanguage(std::string_view header, const std::vector<std::string>& available) {
  int best = -1, best_q = 0;
  for (size_t i = 0; i < available.size(); ++i) {
    int spec = 0, quality = 0;
    std::string_view rest = header;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string_view item = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      size_t semi = item.find(';');
      std::string_view range = trim(item.substr(0, semi));
      int q = 1000;
      if (semi != std::string_view::npos) {
        std::string_view param = trim(item.substr(semi + 1));
        if (param.size() < 2 || (param[0] != 'q' && param[0] != 'Q') || param[1] != '=') continue;
        q = parseQuality(trim(param.substr(2)));
        if (q < 0) continue;
      }
      if (range.empty()) continue;
      int s = specificity(range, available[i]);
      if (s > spec || (s == spec && s > 0 && q > quality)) {
        spec = s;
        quality = q;
      }
    }
    if (spec > 0 && quality > best_q) {
      best = static_cast<int>(i);
      best_q = quality;
    }
  }
  return best;
}

}  // namespace portico::router
