#include "filters/compress/encoder.h"

#include <brotli/encode.h>
#include <zlib.h>
#include <zstd.h>

namespace portico::filters::compress {

namespace {

class GzipEncoder final : public Encoder {
 public:
  explicit GzipEncoder(int level) : Encoder(Coding::Gzip, level) {
    // windowBits 15 + 16: a gzip wrapper (RFC 1952) around the deflate stream.
    ok_ = deflateInit2(&z_, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK;
  }
  ~GzipEncoder() override {
    if (ok_) deflateEnd(&z_);
  }
  bool ok() const { return ok_; }

  Step run(const char* in, size_t in_len, char* out, size_t out_cap, Mode mode) override {
    Step s;
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in));
    z_.avail_in = static_cast<uInt>(in_len);
    z_.next_out = reinterpret_cast<Bytef*>(out);
    z_.avail_out = static_cast<uInt>(out_cap);
    int flush = mode == Mode::Finish ? Z_FINISH : mode == Mode::Flush ? Z_SYNC_FLUSH : Z_NO_FLUSH;
    int r = deflate(&z_, flush);
    s.consumed = in_len - z_.avail_in;
    s.produced = out_cap - z_.avail_out;
    s.done = r == Z_STREAM_END;
    s.error = r != Z_OK && r != Z_STREAM_END && r != Z_BUF_ERROR;
    return s;
  }
  bool reset() override { return ok_ && deflateReset(&z_) == Z_OK; }

 private:
  z_stream z_{};
  bool ok_ = false;
};

class BrotliEncoder final : public Encoder {
 public:
  explicit BrotliEncoder(int level)
      : Encoder(Coding::Brotli, level),
        state_(BrotliEncoderCreateInstance(nullptr, nullptr, nullptr)) {
    if (state_) {
      BrotliEncoderSetParameter(state_, BROTLI_PARAM_QUALITY, static_cast<uint32_t>(level));
      BrotliEncoderSetParameter(state_, BROTLI_PARAM_MODE, BROTLI_MODE_TEXT);
    }
  }
  ~BrotliEncoder() override {
    if (state_) BrotliEncoderDestroyInstance(state_);
  }
  bool ok() const { return state_ != nullptr; }

  Step run(const char* in, size_t in_len, char* out, size_t out_cap, Mode mode) override {
    Step s;
    size_t avail_in = in_len, avail_out = out_cap;
    const uint8_t* next_in = reinterpret_cast<const uint8_t*>(in);
    uint8_t* next_out = reinterpret_cast<uint8_t*>(out);
    BrotliEncoderOperation op = mode == Mode::Finish  ? BROTLI_OPERATION_FINISH
                                : mode == Mode::Flush ? BROTLI_OPERATION_FLUSH
                                                      : BROTLI_OPERATION_PROCESS;
    // A flush or finish can take several calls even with room left: keep going until the
    // output is full or the encoder has nothing more to say.
    for (;;) {
      if (!BrotliEncoderCompressStream(state_, op, &avail_in, &next_in, &avail_out, &next_out,
                                       nullptr)) {
        s.error = true;
        return s;
      }
      if (op == BROTLI_OPERATION_PROCESS || avail_out == 0) break;
      if (op == BROTLI_OPERATION_FINISH && BrotliEncoderIsFinished(state_)) break;
      if (avail_in == 0 && !BrotliEncoderHasMoreOutput(state_)) break;
    }
    s.consumed = in_len - avail_in;
    s.produced = out_cap - avail_out;
    s.done = mode == Mode::Finish && BrotliEncoderIsFinished(state_);
    return s;
  }
  bool reset() override { return false; }  // the brotli encoder API has no reset

 private:
  BrotliEncoderState* state_;
};

class ZstdEncoder final : public Encoder {
 public:
  explicit ZstdEncoder(int level) : Encoder(Coding::Zstd, level), cctx_(ZSTD_createCCtx()) {
    if (cctx_) ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel, level);
  }
  ~ZstdEncoder() override {
    if (cctx_) ZSTD_freeCCtx(cctx_);
  }
  bool ok() const { return cctx_ != nullptr; }

  Step run(const char* in, size_t in_len, char* out, size_t out_cap, Mode mode) override {
    Step s;
    ZSTD_inBuffer ib{in, in_len, 0};
    ZSTD_outBuffer ob{out, out_cap, 0};
    ZSTD_EndDirective d = mode == Mode::Finish  ? ZSTD_e_end
                          : mode == Mode::Flush ? ZSTD_e_flush
                                                : ZSTD_e_continue;
    size_t r = ZSTD_compressStream2(cctx_, &ob, &ib, d);
    if (ZSTD_isError(r)) {
      s.error = true;
      return s;
    }
    s.consumed = ib.pos;
    s.produced = ob.pos;
    s.done = mode == Mode::Finish && r == 0;
    return s;
  }
  // Drops the session (buffered input, frame state) and keeps the parameters (the level).
  bool reset() override { return !ZSTD_isError(ZSTD_CCtx_reset(cctx_, ZSTD_reset_session_only)); }

 private:
  ZSTD_CCtx* cctx_;
};

template <typename E>
std::unique_ptr<Encoder> made(int level) {
  auto e = std::make_unique<E>(level);
  if (!e->ok()) return nullptr;
  return e;
}

}  // namespace

int defaultLevel(Coding c) {
  switch (c) {
    case Coding::Gzip:
      return 5;
    case Coding::Brotli:
      return 4;
    case Coding::Zstd:
      return 3;
    case Coding::Identity:
      break;
  }
  return 0;
}

std::unique_ptr<Encoder> makeEncoder(Coding c, int level) {
  if (level < 0) level = defaultLevel(c);
  switch (c) {
    case Coding::Gzip:
      return made<GzipEncoder>(level);
    case Coding::Brotli:
      return made<BrotliEncoder>(level);
    case Coding::Zstd:
      return made<ZstdEncoder>(level);
    case Coding::Identity:
      break;
  }
  return nullptr;
}

}  // namespace portico::filters::compress
