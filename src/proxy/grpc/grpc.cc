#include "proxy/grpc/grpc.h"

#include "http/status.h"

namespace portico::proxy::grpc {

bool isGrpcRequest(const http1::RequestHead& req) {
  std::string_view ct = http1::fieldValue(req, "content-type");
  constexpr std::string_view kType = "application/grpc";
  if (ct.size() < kType.size() || !http::equalsIgnoreCase(ct.substr(0, kType.size()), kType))
    return false;
  return ct.size() == kType.size() || ct[kType.size()] == '+' || ct[kType.size()] == ';';
}

uint64_t timeoutMs(std::string_view v) {
  if (v.size() < 2 || v.size() > 9) return 0;
  uint64_t n = 0;
  for (char c : v.substr(0, v.size() - 1)) {
    if (c < '0' || c > '9') return 0;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  switch (v.back()) {
    case 'H':
      return n * 3600000;
    case 'M':
      return n * 60000;
    case 'S':
      return n * 1000;
    case 'm':
      return n;
    case 'u':
      return (n + 999) / 1000;
    case 'n':
      return (n + 999999) / 1000000;
    default:
      return 0;
  }
}

uint32_t statusFor(uint16_t s) {
  switch (s) {
    case 504:
    case 408:
      return 4;
    case 502:
    case 503:
    case 429:
      return 14;
    case 404:
      return 12;
    case 401:
      return 16;
    case 403:
      return 7;
    case 413:
    case 431:
      return 8;
    default:
      return s >= 400 && s < 500 ? 13 : 2;
  }
}

std::string errorFields(uint16_t http_status) {
  std::string out = "grpc-status: ";
  out.append(std::to_string(statusFor(http_status)));
  out.append("\r\ngrpc-message: portico: ");
  out.append(std::to_string(http_status)).append(" ");
  // A reason phrase is plain ASCII without '%': no percent-encoding needed.
  out.append(http::reasonPhrase(http_status)).append("\r\n");
  return out;
}

}  // namespace portico::proxy::grpc
