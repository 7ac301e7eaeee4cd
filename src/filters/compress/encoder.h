#pragma once
// Streaming response compressors (gzip via zlib, brotli, zstd) behind one interface that writes
// straight into the caller's output block, so compressed bytes need no extra copy.
// Thread: an encoder belongs to one exchange on one worker.
#include <cstddef>
#include <memory>

#include "filters/compress/negotiate.h"

namespace portico::filters::compress {

class Encoder {
 public:
  enum class Mode { Process, Flush, Finish };
  struct Step {
    size_t consumed = 0;  // input bytes taken
    size_t produced = 0;  // output bytes written
    bool done = false;    // Finish: the stream's last byte is out
    bool error = false;   // the codec failed (the response must be aborted)
  };
  virtual ~Encoder() = default;

  // Compresses in[0..in_len) into out[0..out_cap).
  //  Process: output comes when the codec has enough of it.
  //  Flush:   everything consumed so far becomes decodable by the client (streaming).
  //  Finish:  ends the stream; `done` once its trailer is out.
  // Callers repeat while input remains, and for Flush/Finish while the output filled up
  // (produced == out_cap) or until done.
  virtual Step run(const char* in, size_t in_len, char* out, size_t out_cap, Mode mode) = 0;
  // Readies the encoder for a new stream with the same coding and level, keeping its
  // allocations (zlib deflateReset, ZSTD_CCtx_reset), whatever state the last stream was left
  // in. False when the codec cannot (brotli has no reset) or failed: then it is not reusable.
  virtual bool reset() = 0;

  Coding coding() const { return coding_; }
  int level() const { return level_; }

 protected:
  Encoder(Coding c, int level) : coding_(c), level_(level) {}

 private:
  Coding coding_;
  int level_;
};

// Default levels: fast enough for dynamic responses (gzip 5, brotli 4, zstd 3).
int defaultLevel(Coding c);

// A new encoder for `c` (not Identity) at `level` (codec range; -1 = default), or nullptr when
// the codec cannot be initialised (out of memory).
std::unique_ptr<Encoder> makeEncoder(Coding c, int level = -1);

}  // namespace portico::filters::compress
