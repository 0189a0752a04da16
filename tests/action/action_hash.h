/* Deterministic weights for the action-model parity tests, bit-identical to
 * tests/action/action_hash.py (read its docstring for the rules): each tensor
 * is filled from a counter-based hash of its state_dict name, so reference
 * files need not carry tens of millions of weights. Header-only (static). */
#ifndef AVS_TESTS_ACTION_HASH_H
#define AVS_TESTS_ACTION_HASH_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "av/params.h"

#define ACTION_HASH_SAMPLE 512

static inline uint64_t ah_fnv1a64(const char *s) {
  uint64_t h = 0xCBF29CE484222325ull;
  for (; *s; s++) h = (h ^ (uint8_t)*s) * 0x100000001B3ull;
  return h;
}

/* i-th value in [-1, 1) of the stream of `name`. */
static inline double ah_uniform(uint64_t base, int64_t i) {
  uint64_t z = base + (uint64_t)i + 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return (double)(z >> 40) * (2.0 / 16777216.0) - 1.0;
}

static inline int ah_ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && !strcmp(s + a - b, suffix);
}

static inline void ah_fill_tensor(avs_tensor *t) {
  const char *name = t->name, *last = strrchr(name, '.');
  last = last ? last + 1 : name;
  uint64_t base = ah_fnv1a64(name);
  int kind; /* 0 var, 1 mean, 2 bias, 3 BN weight, 4 lstm, 5 He, 6 last BN of a residual branch */
  if (ah_ends_with(name, "running_var")) kind = 0;
  else if (ah_ends_with(name, "running_mean")) kind = 1;
  else if (ah_ends_with(name, "bias") || strstr(last, "bias_")) kind = 2;
  else if (ah_ends_with(name, "conv2.1.weight") || ah_ends_with(name, "bn2.weight")) kind = 6;
  else if (t->ndim == 1) kind = 3;
  else if (strstr(name, "lstm")) kind = 4;
  else kind = 5;
  double scale = kind == 4 ? 1.0 / sqrt((double)t->shape[1]) : sqrt(6.0 / (double)(t->numel / t->shape[0]));
  for (int64_t i = 0; i < t->numel; i++) {
    double v = ah_uniform(base, i);
    switch (kind) {
    case 0: v = 1.0 + 0.5 * v; break;
    case 1: v = 0.1 * v; break;
    case 2: v = 0.1 * v; break;
    case 3: v = 1.0 + 0.25 * v; break;
    case 6: v = 0.25 + 0.05 * v; break;
    default: v = v * scale; break;
    }
    t->data[i] = (float)v;
  }
  t->version++;
}

static inline void ah_fill(avs_params *p) {
  for (int i = 0; i < p->n; i++) ah_fill_tensor(p->t[i]);
}

static inline int64_t ah_stride(int64_t n) { return n / ACTION_HASH_SAMPLE > 1 ? n / ACTION_HASH_SAMPLE : 1; }

/* Strided sample (count into *count), L2 norm and hashed projection of g. */
static inline void ah_grad_summary(const char *name, const float *g, int64_t n, float *sample, int64_t *count, double *norm,
                            double *proj) {
  int64_t s = ah_stride(n), k = (n + s - 1) / s;
  if (k > ACTION_HASH_SAMPLE) k = ACTION_HASH_SAMPLE;
  for (int64_t i = 0; i < k; i++) sample[i] = g[i * s];
  *count = k;
  char pname[256];
  snprintf(pname, sizeof pname, "%s#proj", name);
  uint64_t base = ah_fnv1a64(pname);
  double ss = 0, pr = 0;
  for (int64_t i = 0; i < n; i++) ss += (double)g[i] * g[i], pr += (double)g[i] * ah_uniform(base, i);
  *norm = sqrt(ss);
  *proj = pr;
}

#endif
