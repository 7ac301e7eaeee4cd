#include "proxy/body_forwarder.h"

namespace portico::proxy {

using http1::BodyFraming;

void BodyForwarder::start(BodyFraming framing, uint64_t length) {
  framing_ = framing;
  remaining_ = length;
  total_ = 0;
  validated_ = 0;
  pending_ = 0;
  final_seen_ = false;
  too_large_ = false;
  max_payload_ = 0;
  payload_ = 0;
  error_ = false;
  error_text_ = nullptr;
  decoder_.reset();
  done_ = framing == BodyFraming::None || (framing == BodyFraming::ContentLength && length == 0);
}

uint32_t BodyForwarder::forwardable(std::string_view src) {
  if (done_ || error_) return 0;
  switch (framing_) {
    case BodyFraming::None:
      return 0;
    case BodyFraming::ContentLength:
      return static_cast<uint32_t>(remaining_ < src.size() ? remaining_ : src.size());
    case BodyFraming::UntilClose:
    case BodyFraming::Tunnel:
      return static_cast<uint32_t>(src.size());
    case BodyFraming::Chunked:
      while (!final_seen_ && validated_ < src.size()) {
        auto step = decoder_.decode(src.substr(validated_));
        if (step.kind == http1::ChunkedDecoder::Kind::Error) {
          markError(step.error ? step.error : "invalid chunked framing");
          return 0;
        }
        if (step.kind == http1::ChunkedDecoder::Kind::Data) {
          payload_ += step.data.size();
          if (max_payload_ && payload_ > max_payload_) {
            too_large_ = true;
            markError("body too large");
            return 0;
          }
        }
        validated_ += static_cast<uint32_t>(step.consumed);
        if (step.kind == http1::ChunkedDecoder::Kind::Done)
          final_seen_ = true;
        else if (step.kind == http1::ChunkedDecoder::Kind::NeedMore && step.consumed == 0)
          break;
      }
      return validated_;
  }
  return 0;
}

void BodyForwarder::sent(uint32_t n) {
  total_ += n;
  switch (framing_) {
    case BodyFraming::ContentLength:
      remaining_ -= n;
      if (remaining_ == 0) done_ = true;
      break;
    case BodyFraming::Chunked:
      validated_ -= n;
      if (final_seen_ && validated_ == 0) done_ = true;
      break;
    default:
      break;
  }
}

bool BodyForwarder::payload(std::string_view src, uint32_t& skip, uint32_t& len) {
  skip = len = 0;
  if (done_ || error_) return !error_;
  if (framing_ != BodyFraming::Chunked) {
    len = forwardable(src);
    return true;
  }
  if (pending_) {  // the rest of the chunk decoded last time, still at the front of src
    len = static_cast<uint32_t>(pending_ < src.size() ? pending_ : src.size());
    return true;
  }
  const http1::ChunkedDecoder::Step st = decoder_.decode(src);
  switch (st.kind) {
    case http1::ChunkedDecoder::Kind::Error:
      markError(st.error ? st.error : "invalid chunked framing");
      return false;
    case http1::ChunkedDecoder::Kind::Data:
      skip = static_cast<uint32_t>(st.consumed - st.data.size());
      pending_ = st.data.size();
      len = static_cast<uint32_t>(pending_);
      return true;
    case http1::ChunkedDecoder::Kind::Done:
      done_ = true;
      [[fallthrough]];
    case http1::ChunkedDecoder::Kind::NeedMore:
      skip = static_cast<uint32_t>(st.consumed);
      return true;
  }
  return true;
}

void BodyForwarder::payloadUsed(uint32_t n) {
  if (framing_ != BodyFraming::Chunked) {
    sent(n);
    return;
  }
  pending_ -= n;
  total_ += n;
}

void BodyForwarder::sourceClosed() {
  if (framing_ == BodyFraming::UntilClose || framing_ == BodyFraming::Tunnel) done_ = true;
}

}  // namespace portico::proxy
