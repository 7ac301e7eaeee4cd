#pragma once
// One test of a piece of request text (a host, path, header/cookie/query value, SNI): present,
// exact, prefix, wildcard suffix or RE2 regular expression (full match). Built at config load;
// matches() is allocation-free and thread-safe (RE2 matching is const). Thread: immutable
// after construction, shared by all workers.
#include <memory>
#include <string>
#include <string_view>

namespace re2 {
class RE2;
}

namespace portico::router {

class TextMatcher {
 public:
  enum class Kind : uint8_t { Present, Exact, Prefix, Suffix, Regex };

  // Matches any value that is present (even empty).
  TextMatcher() = default;
  // Matches `value` exactly; with `ignore_case` `value` must already be lower-case and the
  // compared text is folded to lower case (ASCII).
  static TextMatcher exact(std::string value, bool ignore_case = false);
  // Matches text starting with `value`.
  static TextMatcher prefix(std::string value);
  // Matches text ending with `value` and longer than it (wildcard hosts: ".example.com").
  static TextMatcher suffix(std::string value, bool ignore_case = false);
  // Compiles `pattern` (RE2 syntax, full match). Returns false with RE2's reason in *error when
  // it does not compile; `out` is then unchanged.
  static bool regex(std::string_view pattern, TextMatcher& out, std::string* error);

  // True when `text` passes this test. Present matches everything.
  bool matches(std::string_view text) const;

  Kind kind() const { return kind_; }
  // The value or pattern as written (lower-cased when ignore_case); "" for Present.
  const std::string& value() const { return value_; }
  // True when both test the same thing the same way.
  bool operator==(const TextMatcher& o) const {
    return kind_ == o.kind_ && icase_ == o.icase_ && value_ == o.value_;
  }

 private:
  Kind kind_ = Kind::Present;
  bool icase_ = false;
  std::string value_;
  std::shared_ptr<const re2::RE2> re_;
};

// ASCII lower-case of one character.
inline char lowerAscii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

// True when `text` equals `lower` ignoring ASCII case; `lower` must be lower-case.
bool equalsLower(std::string_view text, std::string_view lower);

}  // namespace portico::router
