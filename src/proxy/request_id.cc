#include "proxy/request_id.h"

#include <cstring>

#include "http/header_id.h"

namespace portico::proxy {

namespace {

constexpr char kHex[] = "0123456789abcdef";

void putHex(char* p, uint64_t v, int digits) {
  for (int i = digits - 1; i >= 0; --i) {
    p[i] = kHex[v & 0xF];
    v >>= 4;
  }
}

bool isLowerHex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

bool allZero(std::string_view s) {
  for (char c : s)
    if (c != '0') return false;
  return true;
}

std::string_view headerValue(const http1::RequestHead& req, std::string_view name, int& count) {
  std::string_view v;
  count = 0;
  for (uint32_t i = 0; i < req.header_count; ++i) {
    if (req.headers[i].name.size() == name.size() &&
        http::equalsIgnoreCase(req.headers[i].name, name)) {
      v = req.headers[i].value;
      ++count;
    }
  }
  return v;
}

}  // namespace

bool validRequestId(std::string_view v) {
  if (v.empty() || v.size() > sizeof(RequestIds::request_id)) return false;
  for (char c : v) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool validTraceparent(std::string_view v) {
  if (v.size() != 55 || v[2] != '-' || v[35] != '-' || v[52] != '-') return false;
  std::string_view version = v.substr(0, 2), trace = v.substr(3, 32), parent = v.substr(36, 16),
                   flags = v.substr(53, 2);
  if (version != "00") return false;
  if (!isLowerHex(trace) || !isLowerHex(parent) || !isLowerHex(flags)) return false;
  return !allZero(trace) && !allZero(parent);
}

void assignRequestIds(const http1::RequestHead& req, const config::RequestId& policy,
                      bool peer_trusted, uint64_t (*random)(void*), void* ctx, RequestIds& out) {
  out.request_id_len = 0;
  out.has_traceparent = false;
  out.generated_traceparent = false;
  if (!policy.enabled) return;
  int count = 0;
  std::string_view incoming = headerValue(req, policy.header, count);
  bool keep = policy.keep_incoming == config::RequestId::Keep::Always ||
              (policy.keep_incoming == config::RequestId::Keep::Trusted && peer_trusted);
  if (keep && count == 1 && validRequestId(incoming)) {
    std::memcpy(out.request_id, incoming.data(), incoming.size());
    out.request_id_len = static_cast<uint8_t>(incoming.size());
  } else {
    // RFC 9562 version 4 (random) UUID.
    uint64_t hi = random(ctx), lo = random(ctx);
    hi = (hi & ~0xF000ull) | 0x4000ull;              // version 4
    lo = (lo & ~(0xC0ull << 56)) | (0x80ull << 56);  // variant 10
    char* p = out.request_id;
    putHex(p, hi >> 32, 8);
    p[8] = '-';
    putHex(p + 9, (hi >> 16) & 0xFFFF, 4);
    p[13] = '-';
    putHex(p + 14, hi & 0xFFFF, 4);
    p[18] = '-';
    putHex(p + 19, lo >> 48, 4);
    p[23] = '-';
    putHex(p + 24, lo & 0xFFFFFFFFFFFFull, 12);
    out.request_id_len = 36;
  }
  if (!policy.trace_context) return;
  std::string_view tp = headerValue(req, "traceparent", count);
  if (count == 1 && validTraceparent(tp)) {
    std::memcpy(out.traceparent, tp.data(), tp.size());
  } else {
    char* p = out.traceparent;
    std::memcpy(p, "00-", 3);
    putHex(p + 3, random(ctx) | 1, 16);  // never all zero
    putHex(p + 19, random(ctx), 16);
    p[35] = '-';
    putHex(p + 36, random(ctx) | 1, 16);
    std::memcpy(p + 52, "-01", 3);  // sampled: portico records it in its access log
    out.generated_traceparent = true;
  }
  out.has_traceparent = true;
}

}  // namespace portico::proxy
