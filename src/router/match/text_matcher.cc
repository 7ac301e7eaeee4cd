#include "router/match/text_matcher.h"

#include <re2/re2.h>

namespace portico::router {

bool equalsLower(std::string_view text, std::string_view lower) {
  if (text.size() != lower.size()) return false;
  for (size_t i = 0; i < text.size(); ++i)
    if (lowerAscii(text[i]) != lower[i]) return false;
  return true;
}

TextMatcher TextMatcher::exact(std::string value, bool ignore_case) {
  TextMatcher m;
  m.kind_ = Kind::Exact;
  m.icase_ = ignore_case;
  m.value_ = std::move(value);
  return m;
}

TextMatcher TextMatcher::prefix(std::string value) {
  TextMatcher m;
  m.kind_ = Kind::Prefix;
  m.value_ = std::move(value);
  return m;
}

TextMatcher TextMatcher::suffix(std::string value, bool ignore_case) {
  TextMatcher m;
  m.kind_ = Kind::Suffix;
  m.icase_ = ignore_case;
  m.value_ = std::move(value);
  return m;
}

bool TextMatcher::regex(std::string_view pattern, TextMatcher& out, std::string* error) {
  RE2::Options opts;
  opts.set_log_errors(false);
  auto re = std::make_shared<const RE2>(re2::StringPiece(pattern.data(), pattern.size()), opts);
  if (!re->ok()) {
    if (error) *error = re->error();
    return false;
  }
  out.kind_ = Kind::Regex;
  out.icase_ = false;
  out.value_ = std::string(pattern);
  out.re_ = std::move(re);
  return true;
}

bool TextMatcher::matches(std::string_view text) const {
  switch (kind_) {
    case Kind::Present:
      return true;
    case Kind::Exact:
      return icase_ ? equalsLower(text, value_) : text == value_;
    case Kind::Prefix:
      return text.starts_with(value_);
    case Kind::Suffix:
      return text.size() > value_.size() &&
             (icase_ ? equalsLower(text.substr(text.size() - value_.size()), value_)
                     : text.ends_with(value_));
    case Kind::Regex:
      return RE2::FullMatch(re2::StringPiece(text.data(), text.size()), *re_);
  }
  return false;
}

}  // namespace portico::router
