// libFuzzer entry for http::bridge::BodyReader, the incremental HTTP/1.1 body reader behind
// HTTP/2 streams: the first byte picks the framing and a split point, the rest is the body.
// Besides "does not crash" (ASan) it traps when feeding the bytes in two pieces gives another
// result (payload, trailers, end, error) than feeding them at once, or when a body ends twice.
// Build: -DPORTICO_FUZZ=ON with clang (scripts/fuzz.sh).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "http/h1_bridge.h"

namespace {

using portico::http::HeaderField;
using portico::http::HeaderList;
using portico::http::bridge::BodyReader;

struct Collect : BodyReader::Sink {
  std::string data;
  std::string trailers;
  int ends = 0;
  void onBodyData(std::span<const uint8_t> d) override {
    data.append(reinterpret_cast<const char*>(d.data()), d.size());
  }
  void onBodyEnd(const HeaderList* t) override {
    ++ends;
    if (t)
      for (HeaderField f : *t) trailers.append(f.name).append("=").append(f.value).append(";");
  }
};

struct Outcome {
  Collect c;
  bool ok = true;
  bool done = false;
};

Outcome run(portico::http1::BodyFraming framing, uint64_t length, std::string_view body,
            size_t split) {
  Outcome o;
  BodyReader r;
  r.start(framing, length);
  if (split > body.size()) split = body.size();
  o.ok = r.feed(body.substr(0, split), o.c);
  if (o.ok) o.ok = r.feed(body.substr(split), o.c);
  o.done = r.done();
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  using portico::http1::BodyFraming;
  const BodyFraming framings[] = {BodyFraming::ContentLength, BodyFraming::Chunked,
                                  BodyFraming::UntilClose};
  const BodyFraming framing = framings[data[0] % 3];
  const uint64_t length = data[1];
  std::string_view body(reinterpret_cast<const char*>(data) + 2, size - 2);
  const size_t split = static_cast<size_t>(data[0] >> 2) % (body.size() + 1);
  Outcome whole = run(framing, length, body, body.size());
  Outcome parts = run(framing, length, body, split);
  if (whole.c.ends > 1 || parts.c.ends > 1) __builtin_trap();
  // An error may be found at a different point, but never a different successful result.
  if (whole.ok && parts.ok) {
    if (whole.done != parts.done || whole.c.data != parts.c.data ||
        whole.c.trailers != parts.c.trailers || whole.c.ends != parts.c.ends)
      __builtin_trap();
  }
  return 0;
}
