#include "http/h1_bridge.h"

#include <openssl/evp.h>

#include <charconv>

#include "http/http2/head_builder.h"
#include "http/status.h"

namespace portico::http::bridge {

namespace {

void putField(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}

void putDecimal(std::string& out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<size_t>(r.ptr - buf));
}

}  // namespace

BodyMode appendRequestHead(const http::RequestHead& head, bool end_stream, uint64_t key_random[2],
                           std::string& out, const char*& error) {
  error = nullptr;
  const bool websocket = head.isExtendedConnect();
  if (websocket && head.protocol != "websocket") {
    error = "unsupported :protocol";
    return BodyMode::None;
  }
  const size_t start = out.size();
  if (websocket) {
    out.append("GET ");
  } else {
    out.append(head.method).append(" ");
  }
  if (head.method_id == http::Method::Connect && !websocket)
    out.append(head.authority);
  else
    out.append(head.path);
  out.append(" HTTP/1.1\r\n");
  if (!head.authority.empty()) {
    putField(out, "host", head.authority);
  } else if (auto h = head.headers.get(http::HeaderId::Host)) {
    putField(out, "host", *h);
  }
  bool cookie_seen = false;
  for (http::HeaderField f : head.headers) {
    if (f.id == http::HeaderId::Host || f.id == http::HeaderId::Te ||
        f.id == http::HeaderId::ContentLength || http2::isConnectionSpecific(f.name))
      continue;
    if (f.name == "cookie") {
      cookie_seen = true;
      continue;
    }
    putField(out, f.name, f.value);
  }
  if (cookie_seen) {
    out.append("cookie: ");
    bool first = true;
    for (http::HeaderField f : head.headers) {
      if (f.name != "cookie") continue;
      if (!first) out.append("; ");
      out.append(f.value);
      first = false;
    }
    out.append("\r\n");
  }
  BodyMode mode;
  if (websocket) {
    unsigned char raw[16];
    for (int i = 0; i < 8; ++i) {
      raw[i] = static_cast<unsigned char>(key_random[0] >> (8 * i));
      raw[8 + i] = static_cast<unsigned char>(key_random[1] >> (8 * i));
    }
    unsigned char key[32];
    int n = EVP_EncodeBlock(key, raw, sizeof raw);
    out.append("upgrade: websocket\r\nconnection: upgrade, close\r\nsec-websocket-key: ");
    out.append(reinterpret_cast<const char*>(key), static_cast<size_t>(n)).append("\r\n");
    mode = BodyMode::Tunnel;
  } else {
    if (head.content_length >= 0) {
      out.append("content-length: ");
      putDecimal(out, static_cast<uint64_t>(head.content_length));
      out.append("\r\n");
      mode = head.content_length > 0 ? BodyMode::Length : BodyMode::None;
    } else if (end_stream) {
      mode = BodyMode::None;
    } else {
      out.append("transfer-encoding: chunked\r\n");
      mode = BodyMode::Chunked;
    }
    out.append("connection: close\r\n");
  }
  out.append("\r\n");
  if (out.size() - start > (1u << 20)) {  // far beyond any head limit: refuse early
    out.resize(start);
    error = "request head too large";
    return BodyMode::None;
  }
  return mode;
}

bool appendResponseHead(const http::ResponseHead& head, bool end_stream, std::string& out) {
  out.append("HTTP/1.1 ");
  putDecimal(out, head.status);
  out.append(" ").append(reasonPhrase(head.status)).append("\r\n");
  bool has_length = false;
  for (http::HeaderField f : head.headers) {
    if (f.id == http::HeaderId::TransferEncoding || http2::isConnectionSpecific(f.name)) continue;
    if (f.id == http::HeaderId::ContentLength) has_length = true;
    putField(out, f.name, f.value);
  }
  bool chunked = false;
  const bool may_have_body = head.status >= 200 && head.status != 204 && head.status != 304;
  if (!end_stream && !has_length && may_have_body) {
    out.append("transfer-encoding: chunked\r\n");
    chunked = true;
  } else if (end_stream && !has_length && may_have_body) {
    // HTTP/1.1 would read a response without framing until the connection closes.
    out.append("content-length: 0\r\n");
  }
  out.append("\r\n");
  return chunked;
}

void appendChunk(std::span<const uint8_t> data, std::string& out) {
  if (data.empty()) return;
  char buf[24];
  auto r = std::to_chars(buf, buf + 20, data.size(), 16);
  *r.ptr++ = '\r';
  *r.ptr++ = '\n';
  out.append(buf, static_cast<size_t>(r.ptr - buf));
  out.append(reinterpret_cast<const char*>(data.data()), data.size());
  out.append("\r\n");
}

void appendLastChunk(const http::HeaderList* trailers, std::string& out) {
  out.append("0\r\n");
  if (trailers) {
    for (http::HeaderField f : *trailers) {
      if (http2::isConnectionSpecific(f.name) || f.id == http::HeaderId::ContentLength ||
          f.id == http::HeaderId::Host || f.id == http::HeaderId::Te)
        continue;
      putField(out, f.name, f.value);
    }
  }
  out.append("\r\n");
}

void copyFields(const http1::MessageHead& head, http::HeaderList& out) {
  for (uint32_t i = 0; i < head.header_count; ++i) {
    const http1::Header& h = head.headers[i];
    switch (h.id) {
      case http::HeaderId::Connection:
      case http::HeaderId::KeepAlive:
      case http::HeaderId::ProxyConnection:
      case http::HeaderId::TransferEncoding:
      case http::HeaderId::Upgrade:
      case http::HeaderId::Te:
        continue;
      default:
        break;
    }
    out.add(h.name, h.value);
  }
}

void parseFieldLines(std::string_view raw, http::HeaderList& out) {
  while (!raw.empty()) {
    size_t eol = raw.find('\n');
    std::string_view line = raw.substr(0, eol);
    raw = eol == std::string_view::npos ? std::string_view() : raw.substr(eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) continue;
    std::string_view name = line.substr(0, colon);
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    out.add(name, value);
  }
}

void BodyReader::start(http1::BodyFraming framing, uint64_t length) {
  framing_ = framing;
  remaining_ = length;
  pending_.clear();
  trailers_.clear();
  chunked_.reset();
  done_ = framing == http1::BodyFraming::None ||
          (framing == http1::BodyFraming::ContentLength && length == 0);
}

bool BodyReader::feed(std::string_view in, Sink& sink) {
  if (done_ || in.empty()) return true;
  switch (framing_) {
    case http1::BodyFraming::ContentLength: {
      size_t n = in.size() < remaining_ ? in.size() : static_cast<size_t>(remaining_);
      remaining_ -= n;
      if (remaining_ == 0) done_ = true;
      sink.onBodyData({reinterpret_cast<const uint8_t*>(in.data()), n});
      if (done_) sink.onBodyEnd(nullptr);
      return true;
    }
    case http1::BodyFraming::Chunked:
      return feedChunked(in, sink);
    case http1::BodyFraming::UntilClose:
    case http1::BodyFraming::Tunnel:
      sink.onBodyData({reinterpret_cast<const uint8_t*>(in.data()), in.size()});
      return true;
    case http1::BodyFraming::None:
      return true;
  }
  return true;
}

bool BodyReader::feedChunked(std::string_view in, Sink& sink) {
  std::string_view src = in;
  if (!pending_.empty()) {
    pending_.append(in);
    src = pending_;
  }
  size_t used = 0;
  while (!done_) {
    http1::ChunkedDecoder::Step st = chunked_.decode(src.substr(used));
    used += st.consumed;
    if (st.kind == http1::ChunkedDecoder::Kind::Error) return false;
    if (st.kind == http1::ChunkedDecoder::Kind::Data && !st.data.empty()) {
      sink.onBodyData({reinterpret_cast<const uint8_t*>(st.data.data()), st.data.size()});
    } else if (st.kind == http1::ChunkedDecoder::Kind::Done) {
      done_ = true;
      parseFieldLines(st.trailers, trailers_);
      sink.onBodyEnd(trailers_.empty() ? nullptr : &trailers_);
    } else if (st.kind == http1::ChunkedDecoder::Kind::NeedMore) {
      break;
    }
  }
  if (done_) {
    pending_.clear();
  } else {
    std::string rest(src.substr(used));
    pending_.swap(rest);
  }
  return true;
}

bool BodyReader::finish(Sink& sink) {
  if (done_) return true;
  if (framing_ == http1::BodyFraming::UntilClose || framing_ == http1::BodyFraming::Tunnel) {
    done_ = true;
    sink.onBodyEnd(nullptr);
    return true;
  }
  return false;
}

}  // namespace portico::http::bridge
