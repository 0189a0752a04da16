/* Batch normalisation through oneDNN, channels-last (channels are the last
 * dim, statistics over all the others): x (N,C), (N,L,C), (N,H,W,C) or
 * (N,T,H,W,C).
 *
 * Training mode (or no running stats, as PyTorch's track_running_stats=False):
 * oneDNN forward_training normalises with the batch mean and biased variance,
 * which are kept in the arena for the backward pass; running stats, when
 * given and training, become (1 - m) r + m s with the unbiased variance
 * (var * M / (M - 1), M = values per channel), as PyTorch does.
 * Eval mode: oneDNN with use_global_stats on the running stats.
 * A channel count that is not a multiple of 8 is done here instead, in both
 * modes (oneDNN's channels-last kernels are slow there: 18 ms for xattn's bn0
 * over 32 x 128 x 128 x 13 values in eval mode; in training 20 ms forward and
 * 35-50 ms backward at 16 x 256 x 128 x 13, on a Zen 4), with the same
 * formulas: statistics in double, the biased variance, 1 / sqrt(var + eps).
 * Weight (scale) and bias (shift) are optional, independently.
 * avs_batch_norm_relu puts the ReLU on the same pass (oneDNN's fuse_norm_relu: in training it
 * keeps a bit mask of the positive outputs, the workspace, which its backward applies to the
 * output gradient before the batch norm's): one read and one write of the activation fewer each
 * way than avs_relu after it. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "av/ops.h"
#include "av/ops/dnnl_backend.h"
#include "av/status.h"

typedef struct {
  int ndim;
  int64_t dims[5]; /* oneDNN order: N, C, spatial... */
  unsigned flags;
  float eps;
} bn_geo;

typedef struct {
  bn_geo g;
  float *mean, *var;
  bool here;      /* the statistics and the backward by hand (bn_train_here) */
  bool relu;      /* ReLU fused (by hand: the output's positive entries pass the gradient) */
  void *workspace; /* oneDNN's fused ReLU: its mask of the positive outputs */
} bn_saved;

static avs_dnnl_entry *bn_entry(avs_dnnl *d, int kind, dnnl_prop_kind_t prop, const bn_geo *g) {
  int64_t key[AVS_DNNL_KEY_MAX];
  int n = 0;
  float eps = g->eps;
  int32_t eps_bits;
  memcpy(&eps_bits, &eps, sizeof eps_bits);
  key[n++] = kind;
  key[n++] = prop;
  key[n++] = g->flags;
  key[n++] = eps_bits;
  key[n++] = g->ndim;
  for (int i = 0; i < g->ndim; i++) key[n++] = g->dims[i];
  avs_dnnl_entry *e = avs_dnnl_entry_get(d, key, n);
  if (!e || e->ready) return e;
  dnnl_memory_desc_t md;
  dnnl_batch_normalization_desc_t bd;
  /* One channel: channels-last is the plain layout, and oneDNN's plain kernels
   * are ~10x faster than its channels-last ones there (Sound of Pixels' bn0). */
  static const dnnl_format_tag_t plain[] = {dnnl_nc, dnnl_ncw, dnnl_nchw, dnnl_ncdhw};
  dnnl_format_tag_t tag = g->dims[1] == 1 ? plain[g->ndim - 2] : avs_dnnl_act_tag(g->ndim - 2);
  if (avs_dnnl_md(&md, g->ndim, g->dims, tag)) goto fail;
  if (kind == AVS_DNNL_BN_FWD) {
    AVS_DNNL_TRY(dnnl_batch_normalization_forward_desc_init(&bd, prop, &md, g->eps, g->flags),
                 "describing a batch normalization");
    if (avs_dnnl_prim_make(d, &e->prim[0], &bd, NULL)) goto fail;
  } else {
    avs_dnnl_prim hint;
    AVS_DNNL_TRY(dnnl_batch_normalization_forward_desc_init(&bd, dnnl_forward_training, &md, g->eps, g->flags),
                 "describing a batch normalization");
    if (avs_dnnl_prim_make(d, &hint, &bd, NULL)) goto fail;
    e->hint = hint.pd;
    hint.pd = NULL;
    avs_dnnl_prim_free(&hint);
    AVS_DNNL_TRY(dnnl_batch_normalization_backward_desc_init(&bd, prop, &md, &md, g->eps, g->flags),
                 "describing a batch normalization backward pass");
    if (avs_dnnl_prim_make(d, &e->prim[0], &bd, e->hint)) goto fail;
  }
  e->ready = true;
  return e;
fail:
  avs_dnnl_entry_clear(e);
  return NULL;
}

/* The by-hand paths' output: v, or with the ReLU fused what avs_relu makes of it (0 v where not
 * v > 0: a NaN stays NaN, as in PyTorch). */
static inline float relu_if(bool relu, float v) { return relu && !(v > 0) ? 0.0f * v : v; }

/* Per channel c over the rows r (values v[r C + c]): sa = sum a and, with b, sab = sum (a - ca)(b - cb)
 * (a centre NULL: 0), in double, each thread its own partial sums. */
static int channel_sums(const float *a, const float *b, const float *ca, const float *cb, int64_t rows, int64_t C,
                        double *sa, double *sab) {
  int threads = rows * C > 65536 ? omp_get_max_threads() : 1;
  double *part = calloc((size_t)threads * 2 * C, sizeof(double));
  if (!part) return avs_seterr(AVS_ENOMEM, "out of memory");
#pragma omp parallel num_threads(threads)
  {
    double *pa = part + (size_t)omp_get_thread_num() * 2 * C, *pab = pa + C;
#pragma omp for schedule(static)
    for (int64_t r = 0; r < rows; r++)
      for (int64_t c = 0; c < C; c++) {
        double v = a[r * C + c];
        pa[c] += v;
        if (b) pab[c] += (v - (ca ? ca[c] : 0.0)) * ((double)b[r * C + c] - (cb ? cb[c] : 0.0));
      }
  }
  for (int64_t c = 0; c < C; c++) {
    sa[c] = 0, sab[c] = 0;
    for (int t = 0; t < threads; t++) sa[c] += part[(size_t)t * 2 * C + c], sab[c] += part[(size_t)t * 2 * C + C + c];
  }
  free(part);
  return AVS_OK;
}

/* Training statistics and y by hand: mean, the biased variance (a second pass, about the mean),
 * y = (x - mean) s + b, the mean subtracted first as oneDNN and PyTorch do: x s + (b - mean s),
 * as accurate against float64, moved parity_action_video's R(2+1)D-18 gradients by 2e-2 (how that
 * rounding reaches them so strongly was not pinned down; with this order they agree to 2e-5). */
static int bn_train_here(avs_ctx *ctx, const float *x, int64_t rows, int64_t C, const avs_tensor *w,
                         const avs_tensor *b, float eps, bool relu, float *mean, float *var, float *y) {
  double *sum = avs_ctx_alloc(ctx, sizeof(double) * 2 * C), *sq = sum ? sum + C : NULL;
  float *scale = avs_ctx_alloc(ctx, sizeof(float) * 2 * C), *shift = scale ? scale + C : NULL;
  if (!sum || !scale || channel_sums(x, NULL, NULL, NULL, rows, C, sum, sq)) return avs_errcode();
  for (int64_t c = 0; c < C; c++) mean[c] = (float)(sum[c] / rows);
  if (channel_sums(x, x, mean, mean, rows, C, sum, sq)) return avs_errcode();
  for (int64_t c = 0; c < C; c++) {
    var[c] = (float)(sq[c] / rows);
    float s = 1.0f / sqrtf(var[c] + eps);
    scale[c] = w ? w->data[c] * s : s;
    shift[c] = b ? b->data[c] : 0.0f;
  }
#pragma omp parallel for schedule(static) if (rows * C > 65536)
  for (int64_t r = 0; r < rows; r++)
    for (int64_t c = 0; c < C; c++) y[r * C + c] = relu_if(relu, (x[r * C + c] - mean[c]) * scale[c] + shift[c]);
  return AVS_OK;
}

/* The backward by hand: with xh = (x - mean) / sd, gb = sum gy, gw = sum gy xh, and
 * gx = w / sd (gy - gb / M - xh gw / M) (gx NULL: not wanted). */
static int bn_backward_here(avs_ctx *ctx, const bn_saved *sv, const avs_tensor *x, const avs_tensor *w,
                            const float *gy, float *gx, float *gw, float *gb) {
  int64_t C = sv->g.dims[1], rows = x->numel / C;
  double *sg = avs_ctx_alloc(ctx, sizeof(double) * 2 * C), *sgx = sg ? sg + C : NULL;
  float *k = avs_ctx_alloc(ctx, sizeof(float) * 3 * C), *a = k ? k + C : NULL, *m = k ? k + 2 * C : NULL;
  if (!sg || !k || channel_sums(gy, x->data, NULL, sv->mean, rows, C, sg, sgx)) return avs_errcode();
  for (int64_t c = 0; c < C; c++) {
    float inv = 1.0f / sqrtf(sv->var[c] + sv->g.eps);
    gb[c] = (float)sg[c];
    gw[c] = (float)(sgx[c] * inv);
    k[c] = (w ? w->data[c] : 1.0f) * inv;       /* w / sd */
    a[c] = (float)(sg[c] / rows);               /* gb / M */
    m[c] = (float)(sgx[c] * inv * inv / rows);  /* times (x - mean): xh gw / M */
  }
  if (!gx) return AVS_OK;
#pragma omp parallel for schedule(static) if (rows * C > 65536)
  for (int64_t r = 0; r < rows; r++)
    for (int64_t c = 0; c < C; c++) {
      int64_t i = r * C + c;
      gx[i] = k[c] * (gy[i] - a[c] - (x->data[i] - sv->mean[c]) * m[c]);
    }
  return AVS_OK;
}

/* The gradient before a fused ReLU: y's where y > 0, else 0 (in the arena). */
static const float *relu_grad(avs_ctx *ctx, const avs_tensor *y) {
  float *g = avs_ctx_alloc(ctx, sizeof(float) * y->numel);
  if (!g) return NULL;
#pragma omp parallel for schedule(static) if (y->numel > 65536)
  for (int64_t i = 0; i < y->numel; i++) g[i] = y->data[i] > 0 ? y->grad[i] : 0.0f;
  return g;
}

static void bn_backward(avs_ctx *ctx, avs_node *node) {
  bn_saved *sv = node->saved;
  avs_tensor *x = node->in[0], *w = node->in[1], *b = node->in[2], *y = node->out;
  int64_t C = sv->g.dims[1];
  if (sv->here) {
    float *gx = x->requires_grad ? avs_dnnl_grad_dst(ctx, node, 0) : NULL;
    float *gw = avs_ctx_alloc(ctx, sizeof(float) * C), *gb = avs_ctx_alloc(ctx, sizeof(float) * C);
    const float *gy = sv->relu ? relu_grad(ctx, y) : y->grad;
    if ((x->requires_grad && !gx) || !gw || !gb || !gy || bn_backward_here(ctx, sv, x, w, gy, gx, gw, gb)) goto fail;
    if (x->requires_grad) avs_dnnl_grad_done(node, 0, gx);
    if (w && w->requires_grad) avs_dnnl_accumulate(w->grad, gw, C);
    if (b && b->requires_grad) avs_dnnl_accumulate(b->grad, gb, C);
    return;
  }
  bool affine = sv->g.flags & (dnnl_use_scale | dnnl_use_shift);
  avs_dnnl *d = avs_dnnl_get(ctx);
  avs_dnnl_entry *e = d ? bn_entry(d, AVS_DNNL_BN_BWD, affine ? dnnl_backward : dnnl_backward_data, &sv->g) : NULL;
  float *gx = x->requires_grad ? avs_dnnl_grad_dst(ctx, node, 0) : avs_ctx_alloc(ctx, sizeof(float) * x->numel);
  float *gw = avs_ctx_alloc(ctx, sizeof(float) * C), *gb = avs_ctx_alloc(ctx, sizeof(float) * C);
  if (!e || !gx || !gw || !gb) goto fail;
  avs_dnnl_arg args[11];
  int n = 0;
  args[n++] = (avs_dnnl_arg){DNNL_ARG_SRC, x->data};
  if (sv->relu) args[n++] = (avs_dnnl_arg){DNNL_ARG_WORKSPACE, sv->workspace};
  args[n++] = (avs_dnnl_arg){DNNL_ARG_MEAN, sv->mean};
  args[n++] = (avs_dnnl_arg){DNNL_ARG_VARIANCE, sv->var};
  args[n++] = (avs_dnnl_arg){DNNL_ARG_DIFF_DST, y->grad};
  args[n++] = (avs_dnnl_arg){DNNL_ARG_DIFF_SRC, gx};
  if (w) {
    args[n++] = (avs_dnnl_arg){DNNL_ARG_SCALE, w->data};
    args[n++] = (avs_dnnl_arg){DNNL_ARG_DIFF_SCALE, gw};
  }
  if (b) {
    args[n++] = (avs_dnnl_arg){DNNL_ARG_SHIFT, b->data}; /* an input of the primitive, though unused */
    args[n++] = (avs_dnnl_arg){DNNL_ARG_DIFF_SHIFT, gb};
  }
  if (avs_dnnl_exec(d, &e->prim[0], n, args)) goto fail;
  if (x->requires_grad) avs_dnnl_grad_done(node, 0, gx);
  if (w && w->requires_grad) avs_dnnl_accumulate(w->grad, gw, C);
  if (b && b->requires_grad) avs_dnnl_accumulate(b->grad, gb, C);
  return;
fail:
  avs_log(AVS_LOG_ERROR, "%s backward: %s", node->op, avs_errmsg());
}

/* Eval mode by hand: y = (x - mean_c) w_c / sqrt(var_c + eps) + b_c, as oneDNN computes it. */
static avs_tensor *bn_eval_here(avs_ctx *ctx, avs_tensor *x, const avs_bn *bn, int64_t C, float eps, bool relu) {
  avs_tensor *y = avs_ctx_tensor(ctx, x->ndim, x->shape);
  float *scale = avs_ctx_alloc(ctx, sizeof(float) * C), *shift = avs_ctx_alloc(ctx, sizeof(float) * C);
  if (!y || !scale || !shift) return NULL;
  for (int64_t c = 0; c < C; c++) {
    float s = 1.0f / sqrtf(bn->running_var->data[c] + eps);
    scale[c] = bn->weight ? bn->weight->data[c] * s : s;
    shift[c] = (bn->bias ? bn->bias->data[c] : 0.0f) - bn->running_mean->data[c] * scale[c];
  }
  int64_t rows = x->numel / C;
#pragma omp parallel for schedule(static) if (x->numel > 65536)
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x->data + r * C;
    float *yr = y->data + r * C;
    for (int64_t c = 0; c < C; c++) yr[c] = relu_if(relu, xr[c] * scale[c] + shift[c]);
  }
  return y;
}

static avs_tensor *batch_norm(avs_ctx *ctx, avs_tensor *x, const avs_bn *bn, bool relu) {
  const char *name = relu ? "batch_norm_relu" : "batch_norm";
  if (!x || !bn) return NULL;
  char s1[64], s2[64];
  if (x->ndim < 2)
    return avs_dnnl_shape_error(name, "input %s needs a batch and a channel dim", avs_shape_str(x->ndim, x->shape, s1, sizeof s1));
  int64_t C = x->shape[x->ndim - 1], M = x->numel / (C ? C : 1);
  avs_tensor *w = bn->weight, *b = bn->bias, *rm = bn->running_mean, *rv = bn->running_var;
  const avs_tensor *params[4] = {w, b, rm, rv};
  for (int i = 0; i < 4; i++)
    if (params[i] && params[i]->numel != C)
      return avs_dnnl_shape_error(name, "parameter %s does not match %lld channels of input %s",
                                  avs_shape_str(params[i]->ndim, params[i]->shape, s1, sizeof s1), (long long)C,
                                  avs_shape_str(x->ndim, x->shape, s2, sizeof s2));
  if ((rm == NULL) != (rv == NULL))
    return avs_dnnl_shape_error(name, "running_mean and running_var must be given together");
  bool batch_stats = avs_ctx_train(ctx) || !rm;
  if (batch_stats && M < 2)
    return avs_dnnl_shape_error(name, "expected more than 1 value per channel when training, got input %s",
                                avs_shape_str(x->ndim, x->shape, s1, sizeof s1));
  bn_geo g = {.ndim = x->ndim, .eps = bn->eps > 0 ? bn->eps : 1e-5f};
  g.dims[0] = x->shape[0];
  g.dims[1] = C;
  for (int i = 1; i < x->ndim - 1; i++) g.dims[1 + i] = x->shape[i];
  if (w) g.flags |= dnnl_use_scale;
  if (b) g.flags |= dnnl_use_shift;
  if (!batch_stats) g.flags |= dnnl_use_global_stats;
  bool here = C % 8 != 0;
  if (relu && !here) g.flags |= dnnl_fuse_norm_relu;
  if (!batch_stats && here) return bn_eval_here(ctx, x, bn, C, g.eps, relu);
  avs_tensor *in[3] = {x, w, b};
  bool tape = batch_stats && avs_tape_wants(ctx, 3, in);
  avs_tensor *y = avs_ctx_tensor(ctx, x->ndim, x->shape);
  float *mean = batch_stats ? avs_ctx_alloc(ctx, sizeof(float) * C) : rm->data;
  float *var = batch_stats ? avs_ctx_alloc(ctx, sizeof(float) * C) : rv->data;
  if (!y || !mean || !var) return NULL;
  void *workspace = NULL;
  if (here) {
    if (bn_train_here(ctx, x->data, M, C, w, b, g.eps, relu, mean, var, y->data)) return NULL;
  } else {
    avs_dnnl *d = avs_dnnl_get(ctx);
    avs_dnnl_entry *e =
        d ? bn_entry(d, AVS_DNNL_BN_FWD, batch_stats ? dnnl_forward_training : dnnl_forward_inference, &g) : NULL;
    if (!e) return NULL;
    avs_dnnl_arg args[7];
    int n = 0;
    args[n++] = (avs_dnnl_arg){DNNL_ARG_SRC, x->data};
    args[n++] = (avs_dnnl_arg){DNNL_ARG_DST, y->data};
    size_t ws_bytes = avs_dnnl_arg_bytes(&e->prim[0], DNNL_ARG_WORKSPACE); /* the fused ReLU's mask, training */
    if (ws_bytes) {
      if (!(workspace = avs_ctx_alloc(ctx, ws_bytes))) return NULL;
      args[n++] = (avs_dnnl_arg){DNNL_ARG_WORKSPACE, workspace};
    }
    args[n++] = (avs_dnnl_arg){DNNL_ARG_MEAN, mean};
    args[n++] = (avs_dnnl_arg){DNNL_ARG_VARIANCE, var};
    if (w) args[n++] = (avs_dnnl_arg){DNNL_ARG_SCALE, w->data};
    if (b) args[n++] = (avs_dnnl_arg){DNNL_ARG_SHIFT, b->data};
    if (avs_dnnl_exec(d, &e->prim[0], n, args)) return NULL;
  }
  if (batch_stats && rm && avs_ctx_train(ctx)) {
    float m = bn->momentum > 0 ? bn->momentum : 0.1f, unbias = (float)M / (float)(M - 1);
    for (int64_t c = 0; c < C; c++) {
      rm->data[c] = (1 - m) * rm->data[c] + m * mean[c];
      rv->data[c] = (1 - m) * rv->data[c] + m * var[c] * unbias;
    }
    rm->version++;
    rv->version++;
  }
  if (tape) {
    avs_node *node = avs_tape_push(ctx, name, bn_backward, y, 3, in);
    bn_saved *sv = node ? avs_ctx_alloc(ctx, sizeof *sv) : NULL;
    if (!sv) return NULL;
    sv->g = g;
    sv->mean = mean;
    sv->var = var;
    sv->here = here;
    sv->relu = relu;
    sv->workspace = workspace;
    node->saved = sv;
    node->sets_fresh = true;
  }
  return y;
}

avs_tensor *avs_batch_norm(avs_ctx *ctx, avs_tensor *x, const avs_bn *bn) { return batch_norm(ctx, x, bn, false); }

avs_tensor *avs_batch_norm_relu(avs_ctx *ctx, avs_tensor *x, const avs_bn *bn) { return batch_norm(ctx, x, bn, true); }
