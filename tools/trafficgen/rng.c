/* rng.c -- trafficgen's deterministic random numbers.
 * xoshiro256** (Blackman and Vigna) seeded through splitmix64, so that one
 * --seed gives the same stream on every run and platform. Never rand() or
 * the clock. In: a seed. Out: numbers; no allocation, no global state. */
#include <math.h>

#include "tg.h"

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void tg_rng_seed(tg_rng_t *r, uint64_t seed) {
  uint64_t x = seed;
  for (int i = 0; i < 4; i++)
    r->s[i] = splitmix64(&x);
}

void tg_rng_fork(tg_rng_t *parent, tg_rng_t *child) {
  tg_rng_seed(child, tg_rng_next(parent));
}

uint64_t tg_rng_next(tg_rng_t *r) {
  uint64_t *s = r->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

uint32_t tg_rng_below(tg_rng_t *r, uint32_t n) {
  /* Lemire's multiply-shift; the bias for n << 2^32 is negligible here. */
  return (uint32_t)(((tg_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

uint64_t tg_rng_range(tg_rng_t *r, uint64_t lo, uint64_t hi) {
  if (hi <= lo)
    return lo;
  uint64_t span = hi - lo + 1;
  if (span == 0)
    return tg_rng_next(r);
  return lo + tg_rng_next(r) % span;
}

double tg_rng_unit(tg_rng_t *r) {
  return (double)(tg_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

bool tg_rng_chance(tg_rng_t *r, double p) { return tg_rng_unit(r) < p; }

double tg_rng_exp(tg_rng_t *r, double mean) {
  return -log(1.0 - tg_rng_unit(r)) * mean;
}

double tg_rng_lognormal(tg_rng_t *r, double median, double sigma) {
  /* Box-Muller; one of the pair is enough. */
  double u1 = tg_rng_unit(r), u2 = tg_rng_unit(r);
  double z = sqrt(-2.0 * log(1.0 - u1)) * cos(6.283185307179586 * u2);
  return median * exp(sigma * z);
}

void tg_rng_bytes(tg_rng_t *r, uint8_t *out, size_t n) {
  while (n > 0) {
    uint64_t v = tg_rng_next(r);
    size_t k = n < 8 ? n : 8;
    for (size_t i = 0; i < k; i++) /* byte order fixed: same on any CPU */
      out[i] = (uint8_t)(v >> (8 * i));
    out += k;
    n -= k;
  }
}
