/* Max and average pooling (2-D, 3-D), channels-last: average pooling through
 * oneDNN, max pooling by our own kernels (pool_max.h).
 *
 * PyTorch semantics:
 *  - out = floor_or_ceil((in + 2p - k) / s) + 1, and in ceil mode the last
 *    window must start inside the input or the left padding; the right padding
 *    given to oneDNN is enlarged to cover the ceil-mode windows.
 *  - max pooling ignores padding (PyTorch pads with -inf); the backward pass
 *    uses the forward's argmax, kept in the arena.
 *  - average pooling with count_include_pad divides by the window clipped to
 *    [-p, in + p): oneDNN's include-padding mode divides by the full kernel, so
 *    windows reaching into the ceil-mode extension are rescaled (forward
 *    output, and the incoming gradient before the backward primitive).
 *    Without count_include_pad, oneDNN's exclude-padding mode matches. */
#include <string.h>

#include "av/ops.h"
#include "av/ops/dnnl_backend.h"
#include "av/ops/pool_max.h"
#include "av/status.h"

typedef struct {
  int nsp, alg; /* dnnl_alg_kind_t */
  int64_t N, C, in[3], out[3], k[3], s[3], pl[3], pr[3];
} pool_geo;

typedef struct {
  pool_geo g;
  float *fac[3];  /* per-dim divisor corrections, NULL when none */
} pool_saved;

typedef struct {
  avs_pool_dims dims;
  int32_t *idx; /* the forward's argmax */
} max_saved;

static int pool_key(int64_t *key, int kind, int prop, const pool_geo *g) {
  int n = 0;
  key[n++] = kind;
  key[n++] = prop;
  key[n++] = g->alg;
  key[n++] = g->nsp;
  key[n++] = g->N;
  key[n++] = g->C;
  for (int i = 0; i < g->nsp; i++) {
    key[n++] = g->in[i];
    key[n++] = g->k[i];
    key[n++] = g->s[i];
    key[n++] = g->pl[i];
    key[n++] = g->pr[i];
  }
  return n;
}

static dnnl_status_t pool_desc(dnnl_pooling_v2_desc_t *pd, const pool_geo *g, bool fwd, dnnl_prop_kind_t prop) {
  dnnl_memory_desc_t src, dst;
  int64_t dims[5] = {g->N, g->C};
  for (int i = 0; i < g->nsp; i++) dims[2 + i] = g->in[i];
  if (avs_dnnl_md(&src, g->nsp + 2, dims, avs_dnnl_act_tag(g->nsp))) return dnnl_invalid_arguments;
  for (int i = 0; i < g->nsp; i++) dims[2 + i] = g->out[i];
  if (avs_dnnl_md(&dst, g->nsp + 2, dims, avs_dnnl_act_tag(g->nsp))) return dnnl_invalid_arguments;
  dnnl_dims_t s, k, d, pl, pr;
  for (int i = 0; i < g->nsp; i++) s[i] = g->s[i], k[i] = g->k[i], d[i] = 0, pl[i] = g->pl[i], pr[i] = g->pr[i];
  if (fwd) return dnnl_pooling_v2_forward_desc_init(pd, prop, g->alg, &src, &dst, s, k, d, pl, pr);
  return dnnl_pooling_v2_backward_desc_init(pd, g->alg, &src, &dst, s, k, d, pl, pr);
}

static avs_dnnl_entry *pool_entry(avs_dnnl *d, int kind, dnnl_prop_kind_t prop, const pool_geo *g) {
  int64_t key[AVS_DNNL_KEY_MAX];
  avs_dnnl_entry *e = avs_dnnl_entry_get(d, key, pool_key(key, kind, prop, g));
  if (!e || e->ready) return e;
  dnnl_pooling_v2_desc_t pd;
  if (kind == AVS_DNNL_POOL_FWD) {
    AVS_DNNL_TRY(pool_desc(&pd, g, true, prop), "describing a pooling");
    if (avs_dnnl_prim_make(d, &e->prim[0], &pd, NULL)) goto fail;
  } else {
    avs_dnnl_prim hint;
    AVS_DNNL_TRY(pool_desc(&pd, g, true, dnnl_forward_training), "describing a pooling");
    if (avs_dnnl_prim_make(d, &hint, &pd, NULL)) goto fail;
    e->hint = hint.pd;
    hint.pd = NULL;
    avs_dnnl_prim_free(&hint);
    AVS_DNNL_TRY(pool_desc(&pd, g, false, dnnl_backward_data), "describing a pooling backward pass");
    if (avs_dnnl_prim_make(d, &e->prim[0], &pd, e->hint)) goto fail;
  }
  e->ready = true;
  return e;
fail:
  avs_dnnl_entry_clear(e);
  return NULL;
}

/* y[n, o0, o1, o2, c] *= f0[o0] f1[o1] f2[o2] (missing dims: factor 1). */
static void apply_factors(float *y, const pool_geo *g, float *const *fac) {
  int64_t o[3] = {1, 1, 1};
  for (int i = 0; i < g->nsp; i++) o[3 - g->nsp + i] = g->out[i];
  const float *f[3] = {NULL, NULL, NULL};
  for (int i = 0; i < g->nsp; i++) f[3 - g->nsp + i] = fac[i];
  int64_t C = g->C, rows = g->N * o[0] * o[1];
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; r++) {
    int64_t i1 = r % o[1], i0 = (r / o[1]) % o[0];
    float a = (f[0] ? f[0][i0] : 1) * (f[1] ? f[1][i1] : 1);
    float *row = y + r * o[2] * C;
    for (int64_t i2 = 0; i2 < o[2]; i2++) {
      float s = a * (f[2] ? f[2][i2] : 1);
      if (s != 1)
        for (int64_t c = 0; c < C; c++) row[i2 * C + c] *= s;
    }
  }
}

static void pool_backward(avs_ctx *ctx, avs_node *node) {
  pool_saved *sv = node->saved;
  const pool_geo *g = &sv->g;
  avs_tensor *y = node->out;
  avs_dnnl *d = avs_dnnl_get(ctx);
  avs_dnnl_entry *e = d ? pool_entry(d, AVS_DNNL_POOL_BWD, dnnl_backward_data, g) : NULL;
  float *gx = avs_dnnl_grad_dst(ctx, node, 0);
  if (!e || !gx) goto fail;
  const float *gy = y->grad;
  if (sv->fac[0] || sv->fac[1] || sv->fac[2]) {
    float *scaled = avs_ctx_alloc(ctx, sizeof(float) * y->numel);
    if (!scaled) goto fail;
    memcpy(scaled, gy, sizeof(float) * y->numel);
    apply_factors(scaled, g, sv->fac);
    gy = scaled;
  }
  avs_dnnl_arg args[2] = {{DNNL_ARG_DIFF_DST, gy}, {DNNL_ARG_DIFF_SRC, gx}};
  if (avs_dnnl_exec(d, &e->prim[0], 2, args)) goto fail;
  avs_dnnl_grad_done(node, 0, gx);
  return;
fail:
  avs_log(AVS_LOG_ERROR, "%s backward: %s", node->op, avs_errmsg());
}

static void max_backward(avs_ctx *ctx, avs_node *node) {
  (void)ctx;
  const max_saved *sv = node->saved;
  avs_pool_max_backward(&sv->dims, node->out->grad, sv->idx, node->in[0]->grad, avs_node_fresh(node, 0));
}

/* g's geometry with its spatial dims right-aligned in three. */
static avs_pool_dims max_dims(const pool_geo *g) {
  avs_pool_dims m = {.N = g->N, .C = g->C};
  for (int i = 0; i < 3; i++) m.in[i] = m.out[i] = m.k[i] = m.s[i] = 1;
  for (int i = 0; i < g->nsp; i++) {
    int a = 3 - g->nsp + i;
    m.in[a] = g->in[i], m.out[a] = g->out[i], m.k[a] = g->k[i], m.s[a] = g->s[i], m.pl[a] = g->pl[i];
  }
  return m;
}

static avs_tensor *max_pool(avs_ctx *ctx, avs_tensor *x, const pool_geo *g, const int64_t *out_shape,
                            const char *name) {
  avs_pool_dims dims = max_dims(g);
  if (dims.in[0] * dims.in[1] * dims.in[2] > INT32_MAX)
    return avs_dnnl_shape_error(name, "more than 2^31 positions per sample");
  bool tape = avs_tape_wants(ctx, 1, &x);
  avs_tensor *y = avs_ctx_tensor(ctx, g->nsp + 2, out_shape);
  int32_t *idx = y && tape ? avs_ctx_alloc(ctx, sizeof(int32_t) * y->numel) : NULL;
  if (!y || (tape && !idx)) return NULL;
  avs_pool_max_forward(&dims, x->data, y->data, idx);
  if (tape) {
    avs_node *node = avs_tape_push(ctx, name, max_backward, y, 1, &x);
    max_saved *sv = node ? avs_ctx_alloc(ctx, sizeof *sv) : NULL;
    if (!sv) return NULL;
    sv->dims = dims;
    sv->idx = idx;
    node->saved = sv;
    node->sets_fresh = true;
  }
  return y;
}

static avs_tensor *pool(avs_ctx *ctx, avs_tensor *x, avs_pool p, int nsp, bool is_max, const char *name) {
  if (!x) return NULL;
  char s1[64];
  if (x->ndim != nsp + 2)
    return avs_dnnl_shape_error(name, "input must have %d dims (channels last), got %s", nsp + 2,
                                avs_shape_str(x->ndim, x->shape, s1, sizeof s1));
  bool include_pad = !is_max && p.count_include_pad;
  pool_geo g = {.nsp = nsp,
                .alg = include_pad ? dnnl_pooling_avg_include_padding : dnnl_pooling_avg_exclude_padding, /* avg */
                .N = x->shape[0],
                .C = x->shape[nsp + 1]};
  int64_t out_shape[5] = {g.N};
  bool need_fac = false;
  for (int i = 0; i < nsp; i++) {
    int64_t k = p.kernel[i], s = p.stride[i] > 0 ? p.stride[i] : k, pad = p.pad[i], in = x->shape[1 + i];
    if (k < 1 || pad < 0) return avs_dnnl_shape_error(name, "kernel must be positive and padding non-negative (dim %d)", i);
    if (2 * pad > k)
      return avs_dnnl_shape_error(name, "padding %lld should be at most half the kernel %lld (dim %d)", (long long)pad,
                                  (long long)k, i);
    int64_t span = in + 2 * pad - k;
    if (span < 0)
      return avs_dnnl_shape_error(name, "input %s smaller than the kernel (dim %d)",
                                  avs_shape_str(x->ndim, x->shape, s1, sizeof s1), i);
    int64_t out = (p.ceil_mode ? (span + s - 1) / s : span / s) + 1;
    if (p.ceil_mode && (out - 1) * s >= in + pad) out--;
    int64_t pr = (out - 1) * s + k - in - pad;
    g.in[i] = in, g.out[i] = out, g.k[i] = k, g.s[i] = s, g.pl[i] = pad;
    g.pr[i] = pr > pad ? pr : pad;
    if (include_pad && pr > pad) need_fac = true;
    out_shape[1 + i] = out;
  }
  out_shape[nsp + 1] = g.C;
  if (is_max) return max_pool(ctx, x, &g, out_shape, name);
  bool tape = avs_tape_wants(ctx, 1, &x);
  avs_dnnl *d = avs_dnnl_get(ctx);
  if (!d) return NULL;
  avs_dnnl_entry *e = pool_entry(d, AVS_DNNL_POOL_FWD, tape ? dnnl_forward_training : dnnl_forward_inference, &g);
  avs_tensor *y = e ? avs_ctx_tensor(ctx, nsp + 2, out_shape) : NULL;
  if (!y) return NULL;
  avs_dnnl_arg args[2] = {{DNNL_ARG_SRC, x->data}, {DNNL_ARG_DST, y->data}};
  if (avs_dnnl_exec(d, &e->prim[0], 2, args)) return NULL;
  float *fac[3] = {NULL, NULL, NULL};
  if (need_fac) {
    for (int i = 0; i < nsp; i++) {
      if (g.pr[i] == g.pl[i]) continue;
      if (!(fac[i] = avs_ctx_alloc(ctx, sizeof(float) * g.out[i]))) return NULL;
      for (int64_t o = 0; o < g.out[i]; o++) {
        int64_t start = o * g.s[i] - g.pl[i], end = start + g.k[i], lim = g.in[i] + g.pl[i];
        fac[i][o] = (float)g.k[i] / (float)((end < lim ? end : lim) - start);
      }
    }
    apply_factors(y->data, &g, fac);
  }
  if (tape) {
    avs_node *node = avs_tape_push(ctx, name, pool_backward, y, 1, &x);
    pool_saved *sv = node ? avs_ctx_alloc(ctx, sizeof *sv) : NULL;
    if (!sv) return NULL;
    sv->g = g;
    memcpy(sv->fac, fac, sizeof fac);
    node->saved = sv;
    node->sets_fresh = true;
  }
  return y;
}

avs_tensor *avs_max_pool2d(avs_ctx *ctx, avs_tensor *x, avs_pool p) { return pool(ctx, x, p, 2, true, "max_pool2d"); }
avs_tensor *avs_max_pool3d(avs_ctx *ctx, avs_tensor *x, avs_pool p) { return pool(ctx, x, p, 3, true, "max_pool3d"); }
avs_tensor *avs_avg_pool2d(avs_ctx *ctx, avs_tensor *x, avs_pool p) { return pool(ctx, x, p, 2, false, "avg_pool2d"); }
avs_tensor *avs_avg_pool3d(avs_ctx *ctx, avs_tensor *x, avs_pool p) { return pool(ctx, x, p, 3, false, "avg_pool3d"); }
