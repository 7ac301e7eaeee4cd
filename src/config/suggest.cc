#include "config/suggest.h"

#include <algorithm>
#include <vector>

namespace portico::config {
namespace {

char fold(char c) {
  if (c >= 'A' && c <= 'Z') return static_cast<char>(c - 'A' + 'a');
  if (c == '-') return '_';
  return c;
}

}  // namespace

size_t editDistance(std::string_view a, std::string_view b) {
  const size_t n = a.size(), m = b.size();
  // Three rolling rows: two back (for transpositions), previous, current.
  std::vector<size_t> prev2(m + 1), prev(m + 1), cur(m + 1);
  for (size_t j = 0; j <= m; ++j) prev[j] = j;
  for (size_t i = 1; i <= n; ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= m; ++j) {
      const bool same = fold(a[i - 1]) == fold(b[j - 1]);
      size_t best = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (same ? 0 : 1)});
      if (i > 1 && j > 1 && fold(a[i - 1]) == fold(b[j - 2]) && fold(a[i - 2]) == fold(b[j - 1])) {
        best = std::min(best, prev2[j - 2] + 1);
      }
      cur[j] = best;
    }
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return prev[m];
}

std::string closestMatch(std::string_view word, std::span<const std::string_view> candidates) {
  const size_t limit = word.size() <= 3 ? 1 : 2;
  std::string_view best;
  size_t best_distance = limit + 1;
  for (std::string_view c : candidates) {
    const size_t d = editDistance(word, c);
    if (d < best_distance) {
      best = c;
      best_distance = d;
    }
  }
  if (best_distance <= limit) return std::string(best);
  // No near miss: accept a candidate that is a prefix of the word or vice versa ("warning" ->
  // "warn", "path" -> "path_prefix") when the shorter of the two has at least 3 characters.
  for (std::string_view c : candidates) {
    const std::string_view shorter = c.size() < word.size() ? c : word;
    const std::string_view longer = c.size() < word.size() ? word : c;
    if (shorter.size() >= 3 && editDistance(shorter, longer.substr(0, shorter.size())) == 0) {
      return std::string(c);
    }
  }
  return std::string();
}

}  // namespace portico::config
