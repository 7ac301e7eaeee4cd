#include "filters/compress/encoder_pool.h"

namespace portico::filters::compress {

void EncoderReturn::operator()(Encoder* e) const {
  if (pool)
    pool->release(e);
  else
    delete e;
}

EncoderPool::Kind* EncoderPool::kind(Coding c, int level) {
  for (Kind& k : kinds_)
    if (k.coding == c && k.level == level) return &k;
  return nullptr;
}

EncoderPtr EncoderPool::acquire(Coding c, int level) {
  if (level < 0) level = defaultLevel(c);
  if (Kind* k = kind(c, level); k && !k->idle.empty()) {
    Encoder* e = k->idle.back().release();
    k->idle.pop_back();
    ++reused_;
    return EncoderPtr(e, EncoderReturn{this});
  }
  return EncoderPtr(makeEncoder(c, level).release(), EncoderReturn{this});
}

void EncoderPool::release(Encoder* e) {
  if (!e) return;
  std::unique_ptr<Encoder> owned(e);
  Kind* k = kind(e->coding(), e->level());
  if (k && k->idle.size() >= max_idle_) return;
  if (!e->reset()) return;
  if (!k) {
    kinds_.push_back(Kind{e->coding(), e->level(), {}});
    k = &kinds_.back();
  }
  k->idle.push_back(std::move(owned));
}

size_t EncoderPool::idle() const {
  size_t n = 0;
  for (const Kind& k : kinds_) n += k.idle.size();
  return n;
}

}  // namespace portico::filters::compress
