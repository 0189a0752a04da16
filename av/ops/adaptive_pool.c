/* Adaptive average pooling (2-D, 3-D), channels-last, plain C: windows vary
 * in size, as torch's adaptive_avg_pool: output o covers inputs
 * [floor(o * in / out), ceil((o + 1) * in / out)). 2-D runs as 3-D with T = 1.
 * Backward gathers per input position from the (one or two) windows that
 * cover it, so threads never write the same element. */
#include <string.h>

#include "av/ops.h"
#include "av/ops/dnnl_backend.h"
#include "av/status.h"

typedef struct {
  int64_t N, C, in[3], out[3];
  int64_t *start[3], *end[3];  /* per output index */
  int64_t *first[3], *last[3]; /* per input index: outputs whose window covers it, [first, last] */
} apool;

static int apool_tables(avs_ctx *ctx, apool *a) {
  for (int i = 0; i < 3; i++) {
    int64_t in = a->in[i], out = a->out[i];
    a->start[i] = avs_ctx_alloc(ctx, sizeof(int64_t) * out);
    a->end[i] = avs_ctx_alloc(ctx, sizeof(int64_t) * out);
    a->first[i] = avs_ctx_alloc(ctx, sizeof(int64_t) * in);
    a->last[i] = avs_ctx_alloc(ctx, sizeof(int64_t) * in);
    if (!a->start[i] || !a->end[i] || !a->first[i] || !a->last[i]) return avs_errcode();
    for (int64_t j = 0; j < in; j++) a->first[i][j] = out, a->last[i][j] = -1;
    for (int64_t o = 0; o < out; o++) {
      a->start[i][o] = o * in / out;
      a->end[i][o] = ((o + 1) * in + out - 1) / out;
      for (int64_t j = a->start[i][o]; j < a->end[i][o]; j++) {
        if (o < a->first[i][j]) a->first[i][j] = o;
        if (o > a->last[i][j]) a->last[i][j] = o;
      }
    }
  }
  return AVS_OK;
}

static void apool_backward(avs_ctx *ctx, avs_node *node) {
  (void)ctx;
  const apool *a = node->saved;
  const float *gy = node->out->grad;
  float *gx = node->in[0]->grad;
  int64_t C = a->C, rows = a->N * a->in[0] * a->in[1];
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; r++) {
    int64_t i1 = r % a->in[1], i0 = (r / a->in[1]) % a->in[0], n = r / (a->in[1] * a->in[0]);
    for (int64_t i2 = 0; i2 < a->in[2]; i2++) {
      float *g = gx + (r * a->in[2] + i2) * C;
      for (int64_t o0 = a->first[0][i0]; o0 <= a->last[0][i0]; o0++)
        for (int64_t o1 = a->first[1][i1]; o1 <= a->last[1][i1]; o1++)
          for (int64_t o2 = a->first[2][i2]; o2 <= a->last[2][i2]; o2++) {
            float inv = 1.0f / (float)((a->end[0][o0] - a->start[0][o0]) * (a->end[1][o1] - a->start[1][o1]) *
                                       (a->end[2][o2] - a->start[2][o2]));
            const float *src = gy + (((n * a->out[0] + o0) * a->out[1] + o1) * a->out[2] + o2) * C;
            for (int64_t c = 0; c < C; c++) g[c] += src[c] * inv;
          }
    }
  }
}

static avs_tensor *adaptive(avs_ctx *ctx, avs_tensor *x, int nsp, const int *outsz, const char *name) {
  if (!x) return NULL;
  char s1[64];
  if (x->ndim != nsp + 2)
    return avs_dnnl_shape_error(name, "input must have %d dims (channels last), got %s", nsp + 2,
                                avs_shape_str(x->ndim, x->shape, s1, sizeof s1));
  apool a = {.N = x->shape[0], .C = x->shape[nsp + 1], .in = {1, 1, 1}, .out = {1, 1, 1}};
  int64_t out_shape[5] = {a.N};
  for (int i = 0; i < nsp; i++) {
    if (outsz[i] < 1 || x->shape[1 + i] < 1)
      return avs_dnnl_shape_error(name, "output size %d and input %s must be positive", outsz[i],
                                  avs_shape_str(x->ndim, x->shape, s1, sizeof s1));
    a.in[3 - nsp + i] = x->shape[1 + i];
    a.out[3 - nsp + i] = outsz[i];
    out_shape[1 + i] = outsz[i];
  }
  out_shape[nsp + 1] = a.C;
  avs_tensor *y = avs_ctx_tensor(ctx, nsp + 2, out_shape);
  if (!y || apool_tables(ctx, &a)) return NULL;
  const float *xd = x->data;
  float *yd = y->data;
  int64_t C = a.C, rows = a.N * a.out[0] * a.out[1];
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; r++) {
    int64_t o1 = r % a.out[1], o0 = (r / a.out[1]) % a.out[0], n = r / (a.out[1] * a.out[0]);
    for (int64_t o2 = 0; o2 < a.out[2]; o2++) {
      float *dst = yd + (r * a.out[2] + o2) * C;
      memset(dst, 0, sizeof(float) * C);
      for (int64_t i0 = a.start[0][o0]; i0 < a.end[0][o0]; i0++)
        for (int64_t i1 = a.start[1][o1]; i1 < a.end[1][o1]; i1++)
          for (int64_t i2 = a.start[2][o2]; i2 < a.end[2][o2]; i2++) {
            const float *src = xd + (((n * a.in[0] + i0) * a.in[1] + i1) * a.in[2] + i2) * C;
            for (int64_t c = 0; c < C; c++) dst[c] += src[c];
          }
      float inv = 1.0f / (float)((a.end[0][o0] - a.start[0][o0]) * (a.end[1][o1] - a.start[1][o1]) *
                                 (a.end[2][o2] - a.start[2][o2]));
      for (int64_t c = 0; c < C; c++) dst[c] *= inv;
    }
  }
  avs_node *node = avs_tape_push(ctx, name, apool_backward, y, 1, &x);
  if (node) {
    apool *sv = avs_ctx_alloc(ctx, sizeof *sv);
    if (!sv) return NULL;
    *sv = a;
    node->saved = sv;
  }
  return y;
}

avs_tensor *avs_adaptive_avg_pool2d(avs_ctx *ctx, avs_tensor *x, int oh, int ow) {
  return adaptive(ctx, x, 2, (const int[]){oh, ow}, "adaptive_avg_pool2d");
}

avs_tensor *avs_adaptive_avg_pool3d(avs_ctx *ctx, avs_tensor *x, int ot, int oh, int ow) {
  return adaptive(ctx, x, 3, (const int[]){ot, oh, ow}, "adaptive_avg_pool3d");
}
