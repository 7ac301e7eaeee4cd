#include "proxy/error_response.h"

namespace portico::proxy {

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
