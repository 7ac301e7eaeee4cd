#include "proxy/error_response.h"

namespace portico::proxy {

std::string_view reasonPhrase(uint16_t status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 304:
      return "Not Modified";
    case 401:
      return "Unauthorized";
    case 410:
      return "Gone";
    case 429:
      return "Too Many Requests";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 412:
      return "Precondition Failed";
    case 416:
      return "Range Not Satisfiable";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 417:
      return "Expectation Failed";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

void writeErrorResponse(uint16_t status, bool close, bool head_only, bool server_header,
                        HeadWriter& w, std::string_view extra) {
  std::string_view reason = reasonPhrase(status);
  w.put("HTTP/1.1 ");
  w.putUint(status);
  w.put(" ");
  w.put(reason);
  w.put("\r\n");
  if (server_header) w.put("Server: portico\r\n");
  w.put("Content-Type: text/plain\r\nContent-Length: ");
  w.putUint(4 + reason.size() + 1);
  w.put("\r\n");
  if (close) w.put("Connection: close\r\n");
  w.put(extra);
  w.put("\r\n");
  if (!head_only) {
    w.putUint(status);
    w.put(" ");
    w.put(reason);
    w.put("\n");
  }
}

void writeLocalResponse(uint16_t status, bool close, bool head_only, bool server_header,
                        std::string_view content_type, std::string_view body, HeadWriter& w,
                        std::string_view extra) {
  w.put("HTTP/1.1 ");
  w.putUint(status);
  w.put(" ");
  w.put(reasonPhrase(status));
  w.put("\r\n");
  if (server_header) w.put("Server: portico\r\n");
  const bool bodiless = status == 204 || status == 304;
  if (!bodiless) {
    w.put("Content-Type: ");
    w.put(content_type);
    w.put("\r\nContent-Length: ");
    w.putUint(body.size());
    w.put("\r\n");
  }
  if (close) w.put("Connection: close\r\n");
  w.put(extra);
  w.put("\r\n");
  if (!head_only && !bodiless) w.put(body);
}

}  // namespace portico::proxy
