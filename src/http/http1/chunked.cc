// Incremental chunked transfer-coding decoder (RFC 9112 §7.1). Strict: only CRLF line
// endings, no whitespace inside or after the chunk size unless it introduces an extension,
// at most 16 hex digits, extensions checked against the grammar, chunk-size line at most
// kMaxSizeLine bytes, trailer fields as strict as header fields.
#include <algorithm>
#include <array>

#include "http/http1/parse_util.h"
#include "http/http1/parser.h"

namespace portico::http1 {
namespace {

using detail::byteClass;
using detail::isWs;
using detail::kTchar;

consteval std::array<uint8_t, 256> makeHex() {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    uint8_t v = 0xff;
    if (c >= '0' && c <= '9') v = static_cast<uint8_t>(c - '0');
    if (c >= 'a' && c <= 'f') v = static_cast<uint8_t>(c - 'a' + 10);
    if (c >= 'A' && c <= 'F') v = static_cast<uint8_t>(c - 'A' + 10);
    t[static_cast<size_t>(c)] = v;
  }
  return t;
}
constexpr std::array<uint8_t, 256> kHex = makeHex();

// qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
inline bool isQdText(uint8_t c) {
  return c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5b) ||
         (c >= 0x5d && c <= 0x7e) || c >= 0x80;
}

// quoted-pair second byte: HTAB / SP / VCHAR / obs-text
inline bool isQuotedPairChar(uint8_t c) {
  return c == '\t' || c == ' ' || (c >= 0x21 && c != 0x7f);
}

}  // namespace

ChunkedDecoder::Step ChunkedDecoder::fail(size_t consumed, const char* why) {
  state_ = State::Failed;
  return Step{Kind::Error, consumed, {}, {}, why};
}

ChunkedDecoder::Step ChunkedDecoder::decode(std::string_view in) {
  const size_t n = in.size();
  size_t i = 0;
  for (;;) {
    switch (state_) {
      case State::Data: {
        if (i == n) return Step{Kind::NeedMore, i, {}, {}};
        const size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, n - i));
        remaining_ -= take;
        if (remaining_ == 0) state_ = State::DataCr;
        return Step{Kind::Data, i + take, in.substr(i, take), {}};
      }
      case State::Trailers: {
        const std::string_view rest = in.substr(i);
        const size_t lim = std::min(rest.size(), max_trailer_bytes);
        size_t pos = 0;
        const detail::ScanResult r = detail::scanFields(
            rest.data(), lim, pos, UINT32_MAX,
            [](std::string_view, std::string_view) -> const char* { return nullptr; });
        switch (r.scan) {
          case detail::Scan::Done:
            state_ = State::Finished;
            return Step{Kind::Done, i + pos, {}, rest.substr(0, pos - 2)};
          case detail::Scan::NeedMore:
            if (rest.size() > max_trailer_bytes) return fail(i, "trailer section too large");
            return Step{Kind::NeedMore, i, {}, {}};
          default:
            return fail(i, r.error);
        }
      }
      case State::Finished:
        return Step{Kind::Done, i, {}, {}};
      case State::Failed:
        return Step{Kind::Error, i, {}, {}, "chunked decoder already failed"};
      default:
        break;
    }

    // Framing bytes: one at a time.
    if (i == n) return Step{Kind::NeedMore, i, {}, {}};
    const auto c = static_cast<uint8_t>(in[i++]);
    const bool line_byte =
        state_ != State::SizeLf && state_ != State::DataCr && state_ != State::DataLf && c != '\r';
    if (line_byte && ++line_len_ > kMaxSizeLine) return fail(i, "chunk-size line too long");
    switch (state_) {
      case State::Size: {
        const uint8_t v = kHex[c];
        if (v != 0xff) {
          if (++size_digits_ > 16) return fail(i, "chunk size too large");
          remaining_ = (remaining_ << 4) | v;
        } else if (size_digits_ == 0) {
          return fail(i, "missing chunk size");
        } else if (c == ';') {
          state_ = State::ExtNameStart;
        } else if (isWs(static_cast<char>(c))) {
          state_ = State::ExtSep;
          ext_ws_ = true;
        } else if (c == '\r') {
          state_ = State::SizeLf;
        } else {
          return fail(i, "invalid chunk size");
        }
        break;
      }
      case State::ExtSep:
        if (isWs(static_cast<char>(c))) {
          ext_ws_ = true;
        } else if (c == ';') {
          state_ = State::ExtNameStart;
        } else if (c == '\r' && !ext_ws_) {
          state_ = State::SizeLf;
        } else {
          return fail(i, "invalid chunk extension");
        }
        break;
      case State::ExtNameStart:
        if (byteClass(static_cast<char>(c)) & kTchar) {
          state_ = State::ExtName;
        } else if (!isWs(static_cast<char>(c))) {
          return fail(i, "invalid chunk extension name");
        }
        break;
      case State::ExtName:
        if (byteClass(static_cast<char>(c)) & kTchar) {
        } else if (c == '=') {
          state_ = State::ExtValStart;
        } else if (c == ';') {
          state_ = State::ExtNameStart;
        } else if (c == '\r') {
          state_ = State::SizeLf;
        } else if (isWs(static_cast<char>(c))) {
          state_ = State::ExtNameWs;
        } else {
          return fail(i, "invalid chunk extension name");
        }
        break;
      case State::ExtNameWs:
        if (c == '=') {
          state_ = State::ExtValStart;
        } else if (c == ';') {
          state_ = State::ExtNameStart;
        } else if (!isWs(static_cast<char>(c))) {
          return fail(i, "invalid chunk extension");
        }
        break;
      case State::ExtValStart:
        if (c == '"') {
          state_ = State::ExtQuoted;
        } else if (byteClass(static_cast<char>(c)) & kTchar) {
          state_ = State::ExtToken;
        } else if (!isWs(static_cast<char>(c))) {
          return fail(i, "invalid chunk extension value");
        }
        break;
      case State::ExtToken:
        if (byteClass(static_cast<char>(c)) & kTchar) {
        } else if (c == ';') {
          state_ = State::ExtNameStart;
        } else if (c == '\r') {
          state_ = State::SizeLf;
        } else if (isWs(static_cast<char>(c))) {
          state_ = State::ExtSep;
          ext_ws_ = true;
        } else {
          return fail(i, "invalid chunk extension value");
        }
        break;
      case State::ExtQuoted:
        if (c == '"') {
          state_ = State::ExtSep;
          ext_ws_ = false;
        } else if (c == '\\') {
          state_ = State::ExtQuotedEsc;
        } else if (!isQdText(c)) {
          return fail(i, "invalid byte in quoted chunk extension");
        }
        break;
      case State::ExtQuotedEsc:
        if (!isQuotedPairChar(c)) return fail(i, "invalid quoted-pair in chunk extension");
        state_ = State::ExtQuoted;
        break;
      case State::SizeLf:
        if (c != '\n') return fail(i, "bare CR in chunk-size line");
        size_digits_ = 0;
        ext_ws_ = false;
        line_len_ = 0;
        state_ = remaining_ == 0 ? State::Trailers : State::Data;
        break;
      case State::DataCr:
        if (c != '\r') return fail(i, "missing CRLF after chunk data");
        state_ = State::DataLf;
        break;
      case State::DataLf:
        if (c != '\n') return fail(i, "bare CR after chunk data");
        state_ = State::Size;
        break;
      default:
        return fail(i, "internal chunked decoder state");
    }
  }
}

}  // namespace portico::http1
