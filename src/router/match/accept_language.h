#pragma once
// Accept-Language negotiation (RFC 9110 §12.5.4, RFC 4647 basic filtering): which of a list of
// available language tags suits a client best. No allocation. Pure functions, any thread.
#include <string>
#include <string_view>
#include <vector>

namespace portico::router {

// Returns the index in `available` (lower-case tags such as "en", "fr", "pt-br") of the best
// language for the Accept-Language value `header`, or -1 when none is acceptable (absent or
// empty header, or every match has q=0).
// A tag's quality is the q of the most specific range that covers it: the same tag, then a
// range that is a prefix of it ("fr" covers "fr-ch"), then a tag that is a prefix of the range
// ("fr-ch" is served by "fr"), then "*". Highest quality wins; ties go to the tag listed first.
int bestLanguage(std::string_view header, const std::vector<std::string>& available);

// Parses a q-value ("1", "0.8", "0.125") into thousandths; -1 when malformed.
int parseQuality(std::string_view q);

}  // namespace portico::router
