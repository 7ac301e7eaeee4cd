#pragma once
// Internal helpers shared by the HTTP/1 head parser and the chunked decoder: byte-class tables
// and the strict field-line scanner. Not part of the public interface; include only from
// src/http/http1/*.cc. Thread: pure functions, any thread.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace portico::http1::detail {

// Byte classes (bit flags) used by every scanner.
enum : uint8_t {
  kTchar = 1,     // RFC 9110 §5.6.2 tchar
  kFieldVal = 2,  // field-vchar / SP / HTAB / obs-text (RFC 9110 §5.5)
  kTarget = 4,    // visible ASCII 0x21-0x7E (request-target bytes)
  kHostChar = 8,  // reg-name subset accepted in Host: ALPHA DIGIT - . _ ~
  kDigit = 16,    // 0-9
  kWs = 32,       // SP / HTAB
};

// Builds the byte -> class-bits table at compile time.
consteval std::array<uint8_t, 256> makeByteClasses() {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    uint8_t v = 0;
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const bool digit = c >= '0' && c <= '9';
    if (alpha || digit) v |= kTchar;
    for (char x : std::string_view("!#$%&'*+-.^_`|~")) {
      if (c == static_cast<unsigned char>(x)) v |= kTchar;
    }
    if (c == '\t' || (c >= 0x20 && c != 0x7f)) v |= kFieldVal;
    if (c >= 0x21 && c <= 0x7e) v |= kTarget;
    if (alpha || digit || c == '-' || c == '.' || c == '_' || c == '~') v |= kHostChar;
    if (digit) v |= kDigit;
    if (c == ' ' || c == '\t') v |= kWs;
    t[static_cast<size_t>(c)] = v;
  }
  return t;
}

inline constexpr std::array<uint8_t, 256> kByteClass = makeByteClasses();

// Returns the class bits of byte `c`.
inline uint8_t byteClass(char c) {
  return kByteClass[static_cast<unsigned char>(c)];
}

// True for SP and HTAB.
inline bool isWs(char c) {
  return c == ' ' || c == '\t';
}

// Returns `s` without leading and trailing SP/HTAB.
inline std::string_view trimOws(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && isWs(s[b])) ++b;
  while (e > b && isWs(s[e - 1])) --e;
  return s.substr(b, e - b);
}

// True when `s` is a non-empty token.
inline bool isToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!(byteClass(c) & kTchar)) return false;
  }
  return true;
}

constexpr uint64_t kOnes = 0x0101010101010101ull;
constexpr uint64_t kHighs = 0x8080808080808080ull;

// Non-zero when some byte of `x` is < n (exact for n <= 128; bytes >= 0x80 never count).
constexpr uint64_t anyByteBelow(uint64_t x, uint8_t n) {
  return (x - kOnes * n) & ~x & kHighs;
}

// Non-zero when some byte of `x` equals `b`.
constexpr uint64_t anyByteEquals(uint64_t x, uint8_t b) {
  return anyByteBelow(x ^ (kOnes * b), 1);
}

// Skips 8 bytes at a time while every byte is field-vchar/SP/obs-text (no CTL, no DEL, no
// HTAB: a word holding one falls back to the byte loop of the caller).
inline size_t skipFieldValueWords(const char* d, size_t pos, size_t lim) {
  while (pos + 8 <= lim) {
    uint64_t x;
    std::memcpy(&x, d + pos, 8);
    if (anyByteBelow(x, 0x20) | anyByteEquals(x, 0x7f)) break;
    pos += 8;
  }
  return pos;
}

// Skips 8 bytes at a time while every byte is visible ASCII (0x21-0x7E).
inline size_t skipTargetWords(const char* d, size_t pos, size_t lim) {
  while (pos + 8 <= lim) {
    uint64_t x;
    std::memcpy(&x, d + pos, 8);
    if (anyByteBelow(x, 0x21) | anyByteEquals(x, 0x7f) | (x & kHighs)) break;
    pos += 8;
  }
  return pos;
}

// Outcome of scanFields.
enum class Scan : uint8_t { Done, NeedMore, Bad, TooMany };

struct ScanResult {
  Scan scan;
  const char* error;
};

// Scans field lines of `d[pos, lim)` up to and including the empty line that ends the section.
// Only CRLF line endings are accepted (a bare LF or bare CR is Bad), obs-fold and whitespace
// before the colon are Bad, names must be tokens, values may hold HTAB/SP/VCHAR/obs-text.
// For each field calls on_field(name, ows_trimmed_value) which returns nullptr or an error
// string (-> Bad). More than `max_fields` field lines -> TooMany, reported as soon as the
// extra line begins. Done: `pos` is just past the empty line. NeedMore: the section does not
// end before `lim`.
template <class OnField>
inline ScanResult scanFields(const char* d, size_t lim, size_t& pos, uint32_t max_fields,
                             OnField&& on_field) {
  uint32_t count = 0;
  for (;;) {
    if (pos >= lim) return {Scan::NeedMore, nullptr};
    const char c = d[pos];
    if (c == '\r') {
      if (pos + 1 >= lim) return {Scan::NeedMore, nullptr};
      if (d[pos + 1] != '\n') return {Scan::Bad, "bare CR in header section"};
      pos += 2;
      return {Scan::Done, nullptr};
    }
    if (c == '\n') return {Scan::Bad, "bare LF in header section"};
    if (isWs(c)) return {Scan::Bad, "obs-fold or whitespace at start of field line"};
    if (count >= max_fields) return {Scan::TooMany, "too many header fields"};
    const size_t name_start = pos;
    while (pos < lim && (byteClass(d[pos]) & kTchar)) ++pos;
    if (pos >= lim) return {Scan::NeedMore, nullptr};
    if (d[pos] != ':') {
      if (isWs(d[pos])) return {Scan::Bad, "whitespace between field name and colon"};
      return {Scan::Bad, "invalid character in field name"};
    }
    if (pos == name_start) return {Scan::Bad, "empty field name"};
    const std::string_view name(d + name_start, pos - name_start);
    ++pos;
    while (pos < lim && isWs(d[pos])) ++pos;
    const size_t value_start = pos;
    pos = skipFieldValueWords(d, pos, lim);
    while (pos < lim && (byteClass(d[pos]) & kFieldVal)) ++pos;
    if (pos >= lim) return {Scan::NeedMore, nullptr};
    if (d[pos] != '\r') {
      if (d[pos] == '\n') return {Scan::Bad, "bare LF in header section"};
      return {Scan::Bad, "control character in field value"};
    }
    if (pos + 1 >= lim) return {Scan::NeedMore, nullptr};
    if (d[pos + 1] != '\n') return {Scan::Bad, "bare CR in field value"};
    size_t value_end = pos;
    while (value_end > value_start && isWs(d[value_end - 1])) --value_end;
    pos += 2;
    ++count;
    if (const char* e =
            on_field(name, std::string_view(d + value_start, value_end - value_start))) {
      return {Scan::Bad, e};
    }
  }
}

}  // namespace portico::http1::detail
