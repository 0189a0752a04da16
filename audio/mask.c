#include "audio/mask.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "av/status.h"

void avs_mask_ratio(const float *mag_src, const float *mag_mix, int64_t n, float max_ratio, float *mask) {
  for (int64_t i = 0; i < n; i++) {
    float r = mag_mix[i] > 0 ? mag_src[i] / mag_mix[i] : 0.0f;
    mask[i] = r < 0 ? 0 : r > max_ratio ? max_ratio : r;
  }
}

void avs_mask_binary(const float *mag_src, const float *mag_mix, int64_t n, float thr, float *mask) {
  for (int64_t i = 0; i < n; i++) mask[i] = mag_src[i] > thr * mag_mix[i] ? 1.0f : 0.0f;
}

/* Block by block: the sums of a block, then its shares, both along contiguous rows (vectorised; the
 * same operations per element as one element at a time, and safe in place). */
#define SHARE_BLOCK 256

void avs_mask_share(const float *mag, int n_src, int64_t n, float *mask) {
  float sum[SHARE_BLOCK];
  for (int64_t b = 0; b < n; b += SHARE_BLOCK) {
    int len = n - b < SHARE_BLOCK ? (int)(n - b) : SHARE_BLOCK;
    for (int i = 0; i < len; i++) sum[i] = 0;
    for (int k = 0; k < n_src; k++)
      for (int i = 0; i < len; i++) sum[i] += mag[k * n + b + i];
    for (int k = 0; k < n_src; k++)
      for (int i = 0; i < len; i++) mask[k * n + b + i] = sum[i] > 0 ? mag[k * n + b + i] / sum[i] : 1.0f / n_src;
  }
}

void avs_mask_dominant(const float *mag, int n_src, int64_t n, float *mask) {
  for (int64_t i = 0; i < n; i++) {
    float sum = 0, best = -1;
    int arg = 0;
    for (int k = 0; k < n_src; k++) {
      sum += mag[k * n + i];
      if (mag[k * n + i] > best) best = mag[k * n + i], arg = k;
    }
    for (int k = 0; k < n_src; k++) mask[k * n + i] = k == arg && sum > 0;
  }
}

void avs_mask_threshold(const float *mask, int64_t n, float thr, float *out) {
  for (int64_t i = 0; i < n; i++) out[i] = mask[i] > thr ? 1.0f : 0.0f;
}

void avs_mask_apply(const float *mask, const float *spec_mix, int64_t n, float *spec_out) {
  for (int64_t i = 0; i < n; i++) {
    spec_out[2 * i] = mask[i] * spec_mix[2 * i];
    spec_out[2 * i + 1] = mask[i] * spec_mix[2 * i + 1];
  }
}

void avs_mask_apply_mag(const float *mask, const float *mag_mix, int64_t n, float *mag_out) {
  for (int64_t i = 0; i < n; i++) mag_out[i] = mask[i] * mag_mix[i];
}

void avs_mask_complex_ideal(const float *s, const float *m, int64_t n, float *c) {
  for (int64_t i = 0; i < n; i++) {
    const float mr = m[2 * i], mi = m[2 * i + 1], sr = s[2 * i], si = s[2 * i + 1];
    const float d = mr * mr + mi * mi;
    if (d > 0) {
      c[2 * i] = (sr * mr + si * mi) / d;
      c[2 * i + 1] = (si * mr - sr * mi) / d;
    } else {
      c[2 * i] = c[2 * i + 1] = 0.0f;
    }
  }
}

void avs_mask_complex_apply(const float *c, const float *m, int64_t n, float *out) {
  for (int64_t i = 0; i < n; i++) {
    const float cr = c[2 * i], ci = c[2 * i + 1], mr = m[2 * i], mi = m[2 * i + 1];
    out[2 * i] = cr * mr - ci * mi;
    out[2 * i + 1] = cr * mi + ci * mr;
  }
}

void avs_mask_compress(const float *x, int64_t n, float K, float C, float *y) {
  for (int64_t i = 0; i < 2 * n; i++) {
    /* K tanh(C x / 2), which is K (1 - e^{-Cx}) / (1 + e^{-Cx}) without overflow */
    y[i] = K * tanhf(0.5f * C * x[i]);
  }
}

void avs_mask_decompress(const float *y, int64_t n, float K, float C, float *x) {
  const float lim = K * (1.0f - 1e-6f);
  for (int64_t i = 0; i < 2 * n; i++) {
    float v = y[i] > lim ? lim : y[i] < -lim ? -lim : y[i];
    x[i] = -(1.0f / C) * logf((K - v) / (K + v));
  }
}

int64_t avs_chunk_count(int64_t n, int64_t chunk, int64_t hop) {
  return n <= chunk ? 1 : (n - chunk + hop - 1) / hop + 1;
}

int64_t avs_chunk_start(int64_t n, int64_t chunk, int64_t hop, int64_t k) {
  int64_t start = k * hop, last = n - chunk;
  return start < last ? start : last > 0 ? last : 0;
}

int avs_mask_chunked(const float *x, int64_t n, int64_t chunk, int64_t hop, int n_out, avs_chunk_fn fn, void *user,
                     float *out) {
  if (n < 1 || chunk < 1 || hop < 1 || hop > chunk || n_out < 1)
    return avs_seterr(AVS_EINVAL, "chunked processing: bad sizes (n %lld, chunk %lld, hop %lld, outputs %d)",
                      (long long)n, (long long)chunk, (long long)hop, n_out);
  float *in = malloc(sizeof(float) * (size_t)chunk);
  float *res = malloc(sizeof(float) * (size_t)chunk * (size_t)n_out);
  float *wsum = calloc((size_t)n, sizeof(float));
  int rc = AVS_OK;
  if (!in || !res || !wsum) {
    rc = avs_seterr(AVS_ENOMEM, "out of memory");
    goto done;
  }
  memset(out, 0, sizeof(float) * (size_t)n * (size_t)n_out);
  /* in_len: the overlap with the previous window (its fade-in), out_len: with the next (its fade-out) */
  const int64_t windows = avs_chunk_count(n, chunk, hop);
  int64_t in_len = 0;
  for (int64_t k = 0; k < windows; k++) {
    const int64_t s = avs_chunk_start(n, chunk, hop, k);
    const bool last = k == windows - 1;
    int64_t next = last ? n : avs_chunk_start(n, chunk, hop, k + 1);
    int64_t len = n - s < chunk ? n - s : chunk, out_len = last ? 0 : s + chunk - next;
    memcpy(in, x + s, sizeof(float) * (size_t)len);
    if (len < chunk) memset(in + len, 0, sizeof(float) * (size_t)(chunk - len));
    if ((rc = fn(user, in, chunk, n_out, res)) < 0) goto done;
    for (int64_t i = 0; i < len; i++) {
      double w = 1.0;
      if (i < in_len) w = 0.5 - 0.5 * cos(M_PI * (i + 0.5) / in_len);
      if (i >= chunk - out_len) w *= 0.5 - 0.5 * cos(M_PI * (chunk - i - 0.5) / out_len);
      wsum[s + i] += (float)w;
      for (int j = 0; j < n_out; j++) out[(int64_t)j * n + s + i] += (float)w * res[(int64_t)j * chunk + i];
    }
    in_len = out_len;
  }
  for (int64_t i = 0; i < n; i++) {
    float inv = wsum[i] > 0 ? 1.0f / wsum[i] : 0.0f;
    for (int k = 0; k < n_out; k++) out[(int64_t)k * n + i] *= inv;
  }
done:
  free(in), free(res), free(wsum);
  return rc;
}
