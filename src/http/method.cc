#include "http/method.h"

namespace portico::http {

Method lookupMethod(std::string_view t) {
  switch (t.size()) {
    case 3:
      if (t == "GET") return Method::Get;
      if (t == "PUT") return Method::Put;
      break;
    case 4:
      if (t == "POST") return Method::Post;
      if (t == "HEAD") return Method::Head;
      break;
    case 5:
      if (t == "PATCH") return Method::Patch;
      if (t == "TRACE") return Method::Trace;
      break;
    case 6:
      if (t == "DELETE") return Method::Delete;
      break;
    case 7:
      if (t == "OPTIONS") return Method::Options;
      if (t == "CONNECT") return Method::Connect;
      break;
    default:
      break;
  }
  return Method::Other;
}

bool isIdempotent(Method m) {
  switch (m) {
    case Method::Get:
    case Method::Head:
    case Method::Put:
    case Method::Delete:
    case Method::Options:
    case Method::Trace:
      return true;
    default:
      return false;
  }
}

}  // namespace portico::http
