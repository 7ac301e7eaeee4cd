#pragma once
// "Did you mean" support for config errors: finds the valid name closest to a misspelt one.
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace portico::config {

// Returns the optimal-string-alignment edit distance between `a` and `b` (insertions,
// deletions, substitutions and adjacent transpositions each cost 1), comparing ASCII letters
// case-insensitively and treating '-' and '_' as equal.
size_t editDistance(std::string_view a, std::string_view b);

// Returns the candidate closest to `word` when it is close enough to be a plausible typo
// (distance 1 for words of up to 3 characters, otherwise at most 2); failing that, the first
// candidate that is a prefix of `word` or has `word` as a prefix (the shorter being at least 3
// characters: "warning" -> "warn", "path" -> "path_prefix"); else "". Ties go to the earliest
// candidate. An exact match is returned as is.
std::string closestMatch(std::string_view word, std::span<const std::string_view> candidates);

}  // namespace portico::config
