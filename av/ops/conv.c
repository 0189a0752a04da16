/* Convolution and transposed convolution (1-3 spatial dims) through oneDNN,
 * forward and backward, channels-last activations, PyTorch-order weights.
 *
 * Both directions share one driver: a transposed convolution is oneDNN's
 * deconvolution, whose weights (O, I, k...) are read from PyTorch's
 * (C_in, O/groups, k...) with the iohw-style tags (no data movement).
 * Primitives are cached per shape (dnnl_backend.h); the weights are reordered
 * into the primitive's layout once per weight version. Backward:
 *   dx += conv_bwd_data(gy, w)
 *   dw += reorder(conv_bwd_weights(x, gy))   (a reorder with a sum post-op)
 *   db += bias part of conv_bwd_weights.
 * In bf16 precision the input is reordered to bf16 into the arena and the
 * weights once per version into a bf16 cache entry; oneDNN accumulates in fp32
 * and writes fp32 outputs, so the ops around stay as they are. Taped (training)
 * calls in bf16 also run their backward in bf16: the output gradient is
 * reordered to bf16, the input gradient and the weight gradient come out in
 * fp32 (the weights themselves stay fp32: mixed precision with fp32 masters).
 * 3 x 3 convolutions of stride 1 (2-D, and 3-D kt x 3 x 3 of stride 1 in time) with enough
 * channels run their forward (in inference and in training), their input gradient and their
 * weight gradient by Winograd's algorithm instead (winograd.h), in fp32. */
#include <string.h>

#include "av/ops.h"
#include "av/ops/dnnl_backend.h"
#include "av/ops/winograd.h"
#include "av/status.h"

typedef struct {
  int nsp, transposed, groups, has_bias;
  int bf16;                               /* bf16 inputs, weights and output gradients */
  int relu;                               /* forward: ReLU fused on the output (eval only) */
  int64_t N, C, O;                        /* input channels, output channels */
  int64_t in[3], out[3], k[3], s[3], dil[3], pl[3], pr[3]; /* dil: oneDNN's (d - 1) */
} conv_geo;

typedef struct {
  conv_geo g;
  const void *x_half; /* bf16: the forward's bf16 input, for the weight gradient */
} conv_saved;

/* Key layout: kind, prop, geometry. */
static int conv_key(int64_t *key, int kind, int prop, const conv_geo *g) {
  int n = 0;
  key[n++] = kind;
  key[n++] = prop;
  key[n++] = g->nsp;
  key[n++] = g->transposed;
  key[n++] = g->groups;
  key[n++] = g->has_bias;
  key[n++] = g->bf16;
  key[n++] = g->relu;
  key[n++] = g->N;
  key[n++] = g->C;
  key[n++] = g->O;
  for (int i = 0; i < g->nsp; i++) {
    key[n++] = g->in[i];
    key[n++] = g->k[i];
    key[n++] = g->s[i];
    key[n++] = g->dil[i];
    key[n++] = g->pl[i];
    key[n++] = g->pr[i];
  }
  return n;
}

typedef struct {
  dnnl_memory_desc_t src_user, src, dst_user, dst, w_user, w_any, bias;
} conv_mds;

/* The primitive's data types: in bf16 each pass reads bf16 (the forward's input and weights, the
 * backward's output gradient and weights or input) and writes fp32; the forward hint of a
 * backward pass is all bf16 (hint: kind 0). */
static void conv_types(const conv_geo *g, int kind, dnnl_data_type_t *src, dnnl_data_type_t *w,
                       dnnl_data_type_t *dst) {
  dnnl_data_type_t h = g->bf16 ? dnnl_bf16 : dnnl_f32;
  *src = kind == AVS_DNNL_CONV_BWD_DATA ? dnnl_f32 : h;
  *w = kind == AVS_DNNL_CONV_BWD_WEIGHTS ? dnnl_f32 : h;
  *dst = kind == AVS_DNNL_CONV_FWD ? dnnl_f32 : h;
}

static int conv_make_mds(const conv_geo *g, int kind, conv_mds *m) {
  int64_t dims[6];
  int nd = g->nsp + 2;
  dnnl_data_type_t src_type, w_type, dst_type;
  conv_types(g, kind, &src_type, &w_type, &dst_type);
  dims[0] = g->N, dims[1] = g->C;
  for (int i = 0; i < g->nsp; i++) dims[2 + i] = g->in[i];
  if (avs_dnnl_md(&m->src_user, nd, dims, avs_dnnl_act_tag(g->nsp))) return avs_errcode();
  if (avs_dnnl_md_typed(&m->src, nd, dims, avs_dnnl_act_tag(g->nsp), src_type)) return avs_errcode();
  dims[1] = g->O;
  for (int i = 0; i < g->nsp; i++) dims[2 + i] = g->out[i];
  if (avs_dnnl_md(&m->dst_user, nd, dims, avs_dnnl_act_tag(g->nsp))) return avs_errcode();
  if (avs_dnnl_md_typed(&m->dst, nd, dims, avs_dnnl_act_tag(g->nsp), dst_type)) return avs_errcode();
  /* oneDNN weights: [g,] O/g, C/g, k... (output channels first, also for deconvolution). */
  int wn = 0;
  if (g->groups > 1) dims[wn++] = g->groups;
  dims[wn++] = g->O / g->groups;
  dims[wn++] = g->C / g->groups;
  for (int i = 0; i < g->nsp; i++) dims[wn++] = g->k[i];
  dnnl_format_tag_t tag;
  /* PyTorch: conv (O, C/g, k) = [g][O/g][C/g][k]; transposed (C, O/g, k) = [g][C/g][O/g][k]. */
  static const dnnl_format_tag_t plain[2][2][4] = {
      {{0, dnnl_oiw, dnnl_oihw, dnnl_oidhw}, {0, dnnl_goiw, dnnl_goihw, dnnl_goidhw}},
      {{0, dnnl_bac, dnnl_iohw, dnnl_iodhw}, {0, dnnl_acbd, dnnl_giohw, dnnl_giodhw}}};
  tag = plain[g->transposed][g->groups > 1][g->nsp];
  if (avs_dnnl_md(&m->w_user, wn, dims, tag)) return avs_errcode();
  if (avs_dnnl_md_typed(&m->w_any, wn, dims, dnnl_format_tag_any, w_type)) return avs_errcode();
  dims[0] = g->O;
  if (avs_dnnl_md(&m->bias, 1, dims, dnnl_x)) return avs_errcode();
  return AVS_OK;
}

typedef union {
  dnnl_convolution_desc_t conv;
  dnnl_deconvolution_desc_t deconv;
} conv_desc;

static void conv_dims(const conv_geo *g, dnnl_dims_t s, dnnl_dims_t d, dnnl_dims_t pl, dnnl_dims_t pr) {
  for (int i = 0; i < g->nsp; i++) s[i] = g->s[i], d[i] = g->dil[i], pl[i] = g->pl[i], pr[i] = g->pr[i];
}

static dnnl_status_t fwd_desc(conv_desc *cd, const conv_geo *g, const conv_mds *m, dnnl_prop_kind_t prop) {
  dnnl_dims_t s, d, pl, pr;
  conv_dims(g, s, d, pl, pr);
  const dnnl_memory_desc_t *b = g->has_bias ? &m->bias : NULL;
  if (g->transposed)
    return dnnl_dilated_deconvolution_forward_desc_init(&cd->deconv, prop, dnnl_deconvolution_direct, &m->src,
                                                        &m->w_any, b, &m->dst, s, d, pl, pr);
  return dnnl_dilated_convolution_forward_desc_init(&cd->conv, prop, dnnl_convolution_direct, &m->src, &m->w_any,
                                                    b, &m->dst, s, d, pl, pr);
}

/* Builds the entry for kind: prim[0] the op, prim[1] the weight reorder
 * (user -> op layout; for backward weights op layout -> user, accumulating),
 * prim[2] in bf16 the reorder of what the op reads to bf16: the input (forward)
 * or the output gradient (backward). */
static int conv_build(avs_dnnl *d, avs_dnnl_entry *e, int kind, dnnl_prop_kind_t prop, const conv_geo *g) {
  conv_mds m, h;
  conv_desc cd;
  dnnl_dims_t s, dl, pl, pr;
  conv_dims(g, s, dl, pl, pr);
  if (conv_make_mds(g, kind, &m)) goto fail;
  if (kind == AVS_DNNL_CONV_FWD) {
    AVS_DNNL_TRY(fwd_desc(&cd, g, &m, prop), "describing a convolution");
    if (avs_dnnl_prim_make_post(d, &e->prim[0], &cd, NULL, g->relu)) goto fail;
    if (g->bf16 && avs_dnnl_reorder_make(d, &e->prim[2], &m.src_user, &m.src, false)) goto fail;
  } else {
    /* Backward pds need a forward (training) pd as a hint; it is kept with the entry. */
    avs_dnnl_prim hint;
    if (conv_make_mds(g, 0, &h)) goto fail;
    AVS_DNNL_TRY(fwd_desc(&cd, g, &h, dnnl_forward_training), "describing a convolution");
    if (avs_dnnl_prim_make(d, &hint, &cd, NULL)) goto fail;
    e->hint = hint.pd;
    hint.pd = NULL;
    avs_dnnl_prim_free(&hint);
    dnnl_status_t st;
    if (kind == AVS_DNNL_CONV_BWD_DATA)
      st = g->transposed ? dnnl_dilated_deconvolution_backward_data_desc_init(
                               &cd.deconv, dnnl_deconvolution_direct, &m.src, &m.w_any, &m.dst, s, dl, pl, pr)
                         : dnnl_dilated_convolution_backward_data_desc_init(
                               &cd.conv, dnnl_convolution_direct, &m.src, &m.w_any, &m.dst, s, dl, pl, pr);
    else
      st = g->transposed
               ? dnnl_dilated_deconvolution_backward_weights_desc_init(&cd.deconv, dnnl_deconvolution_direct,
                                                                       &m.src, &m.w_any,
                                                                       g->has_bias ? &m.bias : NULL, &m.dst, s,
                                                                       dl, pl, pr)
               : dnnl_dilated_convolution_backward_weights_desc_init(&cd.conv, dnnl_convolution_direct, &m.src,
                                                                     &m.w_any, g->has_bias ? &m.bias : NULL,
                                                                     &m.dst, s, dl, pl, pr);
    AVS_DNNL_TRY(st, "describing a convolution backward pass");
    if (avs_dnnl_prim_make(d, &e->prim[0], &cd, e->hint)) goto fail;
    if (g->bf16 && avs_dnnl_reorder_make(d, &e->prim[2], &m.dst_user, &m.dst, false)) goto fail;
  }
  if (kind == AVS_DNNL_CONV_BWD_WEIGHTS) {
    const dnnl_memory_desc_t *dw = avs_dnnl_arg_md(&e->prim[0], DNNL_ARG_DIFF_WEIGHTS);
    if (avs_dnnl_reorder_make(d, &e->prim[1], dw, &m.w_user, true)) goto fail;
  } else {
    const dnnl_memory_desc_t *w = avs_dnnl_arg_md(&e->prim[0], DNNL_ARG_WEIGHTS);
    if (!dnnl_memory_desc_equal(w, &m.w_user) && avs_dnnl_reorder_make(d, &e->prim[1], &m.w_user, w, false))
      goto fail;
  }
  e->ready = true;
  return AVS_OK;
fail:
  avs_dnnl_entry_clear(e);
  return avs_errcode();
}

static avs_dnnl_entry *conv_entry(avs_dnnl *d, int kind, dnnl_prop_kind_t prop, const conv_geo *g) {
  int64_t key[AVS_DNNL_KEY_MAX];
  int n = conv_key(key, kind, prop, g);
  avs_dnnl_entry *e = avs_dnnl_entry_get(d, key, n);
  if (!e) return NULL;
  if (!e->ready && conv_build(d, e, kind, prop, g)) return NULL;
  return e;
}

/* ---- Winograd path ---- */

/* A 3 x 3 convolution of stride 1, one group, the same dilation along both axes, fp32: 2-D,
 * or 3-D with any taps in time at stride 1 and no dilation there. */
static bool wino_shape(const conv_geo *g) {
  if (g->nsp < 2 || g->transposed || g->groups != 1 || g->bf16) return false;
  int h = g->nsp - 2, w = h + 1; /* the spatial axes (a 3-D convolution's first is time) */
  if (h && (g->s[0] != 1 || g->dil[0] != 0)) return false;
  return g->k[h] == 3 && g->k[w] == 3 && g->s[h] == 1 && g->s[w] == 1 && g->dil[h] == g->dil[w];
}

static avs_wino_geo wino_forward_geo(const conv_geo *g) {
  int h = g->nsp - 2, w = h + 1;
  avs_wino_geo a = {.N = g->N, .H = g->in[h], .W = g->in[w], .C = g->C, .O = g->O, .OH = g->out[h], .OW = g->out[w],
                    .pad_h = g->pl[h], .pad_w = g->pl[w], .dil = g->dil[h] + 1};
  if (h) a.T = g->in[0], a.OT = g->out[0], a.kt = g->k[0], a.pad_t = g->pl[0];
  return a;
}

/* The input gradient's convolution: the output gradient padded by 2 dil - pad (kt - 1 - pad in
 * time; winograd.h). */
static avs_wino_geo wino_adjoint_geo(const conv_geo *g) {
  int h = g->nsp - 2, w = h + 1;
  int64_t dil = g->dil[h] + 1;
  avs_wino_geo a = {.N = g->N, .H = g->out[h], .W = g->out[w], .C = g->O, .O = g->C, .OH = g->in[h], .OW = g->in[w],
                    .pad_h = 2 * dil - g->pl[h], .pad_w = 2 * dil - g->pl[w], .dil = dil};
  if (h) a.T = g->out[0], a.OT = g->in[0], a.kt = g->k[0], a.pad_t = g->k[0] - 1 - g->pl[0];
  return a;
}

static bool wino_adjoint_fits(const conv_geo *g) {
  if (!wino_shape(g)) return false; /* first: the geometries read the spatial axes it checks */
  avs_wino_geo a = wino_adjoint_geo(g);
  return a.pad_h >= 0 && a.pad_w >= 0 && a.pad_t >= 0 && avs_wino_suits(&a);
}

/* The weight gradient by Winograd (avs_wino_weight_grad) where the forward would take it. */
static bool wino_weight_grad_fits(const conv_geo *g) {
  if (!wino_shape(g)) return false; /* first: the geometry reads the spatial axes it checks */
  avs_wino_geo a = wino_forward_geo(g);
  return avs_wino_suits(&a);
}

/* The kernel's taps in time: w is (O, C, 3, 3) or (O, C, kt, 3, 3). */
static int64_t wino_taps(const avs_tensor *w) { return w->ndim == 5 ? w->shape[2] : 1; }

static int fill_wino(const avs_tensor *w, void *dst, void *unused) {
  (void)unused;
  avs_wino_weights(w->data, w->shape[0], w->shape[1], wino_taps(w), false, dst);
  return AVS_OK;
}

static int fill_wino_adjoint(const avs_tensor *w, void *dst, void *unused) {
  (void)unused;
  avs_wino_weights(w->data, w->shape[0], w->shape[1], wino_taps(w), true, dst);
  return AVS_OK;
}

/* y = conv(x, w) + b by Winograd, w's transform cached; adjoint: the input gradient's. */
static int wino_run(avs_ctx *ctx, avs_dnnl *d, const avs_wino_geo *wg, const float *x, const avs_tensor *w,
                    bool adjoint, const float *b, bool relu, float *y) {
  size_t bytes = sizeof(float) * avs_wino_weight_floats(wg);
  const float *U = adjoint ? avs_dnnl_weights_by(d, ctx, w, AVS_WFORM_WINO_ADJOINT, bytes, fill_wino_adjoint, NULL)
                           : avs_dnnl_weights_by(d, ctx, w, AVS_WFORM_WINO, bytes, fill_wino, NULL);
  if (!U) return avs_errcode();
  float *scratch = avs_dnnl_scratch(d, avs_wino_scratch_bytes(wg));
  if (!scratch) return avs_errcode();
  avs_wino_conv(wg, x, U, b, relu, y, scratch);
  return AVS_OK;
}

/* The output gradient as the backward entry e reads it: y's gradient, or in bf16 its copy in
 * bf16 (made once per backward call, *half). */
static const void *grad_out(avs_ctx *ctx, avs_dnnl *d, avs_dnnl_entry *e, const avs_tensor *y, void **half) {
  if (!e->prim[2].prim) return y->grad;
  if (!*half) {
    void *h = avs_ctx_alloc(ctx, avs_dnnl_arg_bytes(&e->prim[0], DNNL_ARG_DIFF_DST));
    if (!h || avs_dnnl_exec(d, &e->prim[2], 2, (avs_dnnl_arg[]){{DNNL_ARG_FROM, y->grad}, {DNNL_ARG_TO, h}}))
      return NULL;
    *half = h;
  }
  return *half;
}

static void conv_backward(avs_ctx *ctx, avs_node *node) {
  conv_saved *sv = node->saved;
  const conv_geo *g = &sv->g;
  avs_tensor *x = node->in[0], *w = node->in[1], *b = node->in[2], *y = node->out;
  avs_dnnl *d = avs_dnnl_get(ctx);
  void *gy_half = NULL;
  if (!d) goto fail;
  if (x->requires_grad && wino_adjoint_fits(g)) {
    avs_wino_geo a = wino_adjoint_geo(g);
    float *gx = avs_dnnl_grad_dst(ctx, node, 0);
    if (!gx || wino_run(ctx, d, &a, y->grad, w, true, NULL, false, gx)) goto fail;
    avs_dnnl_grad_done(node, 0, gx);
  } else if (x->requires_grad) {
    avs_dnnl_entry *e = conv_entry(d, AVS_DNNL_CONV_BWD_DATA, dnnl_backward_data, g);
    if (!e) goto fail;
    const void *wd = avs_dnnl_weights(d, ctx, w, &e->prim[1]), *gy = grad_out(ctx, d, e, y, &gy_half);
    float *gx = avs_dnnl_grad_dst(ctx, node, 0);
    if (!wd || !gy || !gx) goto fail;
    if (avs_dnnl_exec(d, &e->prim[0], 3,
                      (avs_dnnl_arg[]){{DNNL_ARG_DIFF_DST, gy}, {DNNL_ARG_WEIGHTS, wd}, {DNNL_ARG_DIFF_SRC, gx}}))
      goto fail;
    avs_dnnl_grad_done(node, 0, gx);
  }
  bool need_b = b && b->requires_grad;
  if (w->requires_grad && wino_weight_grad_fits(g)) {
    avs_wino_geo wg = wino_forward_geo(g);
    float *scratch = avs_dnnl_scratch(d, avs_wino_wgrad_scratch_bytes(&wg));
    if (!scratch) goto fail;
    if (avs_wino_weight_grad(&wg, x->data, y->grad, w->grad, need_b ? b->grad : NULL, scratch)) {
      avs_seterr(AVS_ENOMEM, "out of memory");
      goto fail;
    }
  } else if (w->requires_grad || need_b) {
    avs_dnnl_entry *e = conv_entry(d, AVS_DNNL_CONV_BWD_WEIGHTS, dnnl_backward_weights, g);
    if (!e) goto fail;
    void *gw = avs_ctx_alloc(ctx, avs_dnnl_arg_bytes(&e->prim[0], DNNL_ARG_DIFF_WEIGHTS));
    float *gb = g->has_bias ? avs_ctx_alloc(ctx, sizeof(float) * g->O) : NULL;
    const void *gy = grad_out(ctx, d, e, y, &gy_half);
    if (!gw || (g->has_bias && !gb) || !gy) goto fail;
    avs_dnnl_arg args[4] = {{DNNL_ARG_SRC, g->bf16 ? sv->x_half : x->data}, {DNNL_ARG_DIFF_DST, gy},
                            {DNNL_ARG_DIFF_WEIGHTS, gw}, {DNNL_ARG_DIFF_BIAS, gb}};
    if (avs_dnnl_exec(d, &e->prim[0], g->has_bias ? 4 : 3, args)) goto fail;
    if (w->requires_grad &&
        avs_dnnl_exec(d, &e->prim[1], 2, (avs_dnnl_arg[]){{DNNL_ARG_FROM, gw}, {DNNL_ARG_TO, w->grad}}))
      goto fail;
    if (need_b) avs_dnnl_accumulate(b->grad, gb, g->O);
  }
  return;
fail:
  /* Backward functions cannot return a status: the error stays in avs_errmsg(). */
  avs_log(AVS_LOG_ERROR, "%s backward: %s", node->op, avs_errmsg());
}

/* y = conv(x, w) + b by oneDNN's direct kernels (bf16 ones in bf16 precision, the bf16 input
 * into *x_half). */
static int direct_forward(avs_ctx *ctx, avs_dnnl *d, const conv_geo *g, bool tape, const avs_tensor *x,
                          const avs_tensor *w, const avs_tensor *b, avs_tensor *y, const void **x_half) {
  avs_dnnl_entry *e = conv_entry(d, AVS_DNNL_CONV_FWD, tape ? dnnl_forward_training : dnnl_forward_inference, g);
  if (!e) return avs_errcode();
  const void *wd = avs_dnnl_weights(d, ctx, w, &e->prim[1]);
  if (!wd) return avs_errcode();
  const void *src = x->data;
  if (g->bf16) {
    void *half = avs_ctx_alloc(ctx, avs_dnnl_arg_bytes(&e->prim[0], DNNL_ARG_SRC));
    if (!half || avs_dnnl_exec(d, &e->prim[2], 2, (avs_dnnl_arg[]){{DNNL_ARG_FROM, x->data}, {DNNL_ARG_TO, half}}))
      return avs_errcode();
    src = *x_half = half;
  }
  avs_dnnl_arg args[4] = {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wd}, {DNNL_ARG_DST, y->data},
                          {DNNL_ARG_BIAS, b ? b->data : NULL}};
  return avs_dnnl_exec(d, &e->prim[0], b ? 4 : 3, args);
}

avs_tensor *avs_dnnl_convlike(avs_ctx *ctx, avs_tensor *x, avs_tensor *w, avs_tensor *b, avs_conv p, int nsp,
                              bool transposed, const char *name) {
  if (!x || !w) return NULL;
  char s1[64], s2[64];
  if (x->ndim != nsp + 2)
    return avs_dnnl_shape_error(name, "input must have %d dims (channels last), got %s", nsp + 2,
                       avs_shape_str(x->ndim, x->shape, s1, sizeof s1));
  if (w->ndim != nsp + 2)
    return avs_dnnl_shape_error(name, "weight must have %d dims, got %s", nsp + 2, avs_shape_str(w->ndim, w->shape, s1, sizeof s1));
  conv_geo g = {.nsp = nsp, .transposed = transposed, .has_bias = b != NULL};
  g.groups = p.groups > 0 ? p.groups : 1;
  g.N = x->shape[0];
  g.C = x->shape[nsp + 1];
  if (transposed) {
    if (w->shape[0] != g.C || g.C % g.groups)
      return avs_dnnl_shape_error(name, "weight %s does not fit input %s with groups=%d",
                         avs_shape_str(w->ndim, w->shape, s1, sizeof s1), avs_shape_str(x->ndim, x->shape, s2, sizeof s2),
                         g.groups);
    g.O = w->shape[1] * g.groups;
  } else {
    g.O = w->shape[0];
    if (w->shape[1] * g.groups != g.C || g.O % g.groups)
      return avs_dnnl_shape_error(name, "weight %s does not fit input %s with groups=%d",
                         avs_shape_str(w->ndim, w->shape, s1, sizeof s1), avs_shape_str(x->ndim, x->shape, s2, sizeof s2),
                         g.groups);
  }
  if (b && (b->numel != g.O))
    return avs_dnnl_shape_error(name, "bias %s does not match %lld output channels", avs_shape_str(b->ndim, b->shape, s1, sizeof s1),
                       (long long)g.O);
  int64_t out_shape[5] = {g.N};
  for (int i = 0; i < nsp; i++) {
    int64_t s = p.stride[i] > 0 ? p.stride[i] : 1, dl = p.dilation[i] > 0 ? p.dilation[i] : 1, pad = p.pad[i];
    int64_t k = w->shape[2 + i], in = x->shape[1 + i], op = transposed ? p.out_pad[i] : 0;
    if (pad < 0 || op < 0 || k < 1)
      return avs_dnnl_shape_error(name, "negative padding or empty kernel in spatial dim %d", i);
    if (transposed && op >= s && op >= dl)
      return avs_dnnl_shape_error(name, "output padding %lld must be smaller than stride or dilation (dim %d)", (long long)op, i);
    int64_t out = transposed ? (in - 1) * s - 2 * pad + dl * (k - 1) + op + 1 : (in + 2 * pad - dl * (k - 1) - 1) / s + 1;
    if (in < 1 || out < 1 || (!transposed && in + 2 * pad < dl * (k - 1) + 1))
      return avs_dnnl_shape_error(name, "input %s too small for kernel %s (dim %d)", avs_shape_str(x->ndim, x->shape, s1, sizeof s1),
                         avs_shape_str(w->ndim, w->shape, s2, sizeof s2), i);
    g.in[i] = in, g.out[i] = out, g.k[i] = k, g.s[i] = s, g.dil[i] = dl - 1;
    g.pl[i] = pad;
    g.pr[i] = pad - op; /* may be negative: oneDNN's way of output padding */
    out_shape[1 + i] = out;
  }
  out_shape[nsp + 1] = g.O;
  avs_tensor *in[3] = {x, w, b};
  bool tape = avs_tape_wants(ctx, 3, in);
  g.bf16 = avs_ctx_precision(ctx) == AVS_BF16;
  /* Without a tape nothing needs the pre-activation: ReLU rides on the output pass (saves a
   * read and a write of the whole output: 10-13 % of R(2+1)D-18's eval forward). */
  g.relu = p.relu && !tape && !transposed;
  avs_dnnl *d = avs_dnnl_get(ctx);
  avs_tensor *y = d ? avs_ctx_tensor(ctx, nsp + 2, out_shape) : NULL;
  if (!y) return NULL;
  /* In training the forward takes Winograd's path too where it suits (bench_train's step: about
   * 9 % less). Its rounding (about 1e-5 of the output) flips a few ReLU and max-pool choices
   * that a direct forward makes the other way, and each flip moves a gradient by a whole term,
   * so a network's gradients then differ from PyTorch's by more than float32's own error
   * (r3d_18's stem: 9e-2 against a bound of 1e-3). The architectures' parity tests therefore
   * compare a training step with the forward direct (avs_wino_set_training); the convolution's
   * own tests check this path against the direct one. */
  bool winograd = (!tape || avs_wino_training()) && wino_shape(&g); /* first: the geometry reads the axes */
  avs_wino_geo wg = winograd ? wino_forward_geo(&g) : (avs_wino_geo){0};
  const void *x_half = NULL;
  if (winograd && avs_wino_suits(&wg)) {
    if (wino_run(ctx, d, &wg, x->data, w, false, b ? b->data : NULL, g.relu, y->data)) return NULL;
  } else if (direct_forward(ctx, d, &g, tape, x, w, b, y, &x_half)) {
    return NULL;
  }
  if (tape) {
    avs_node *node = avs_tape_push(ctx, name, conv_backward, y, 3, in);
    conv_saved *sv = node ? avs_ctx_alloc(ctx, sizeof *sv) : NULL;
    if (!sv) return NULL;
    sv->g = g, sv->x_half = x_half;
    node->saved = sv;
    node->sets_fresh = true;
  }
  return p.relu && !g.relu ? avs_relu(ctx, y) : y;
}

avs_tensor *avs_conv1d(avs_ctx *ctx, avs_tensor *x, avs_tensor *w, avs_tensor *b, avs_conv p) {
  return avs_dnnl_convlike(ctx, x, w, b, p, 1, false, "conv1d");
}
avs_tensor *avs_conv2d(avs_ctx *ctx, avs_tensor *x, avs_tensor *w, avs_tensor *b, avs_conv p) {
  return avs_dnnl_convlike(ctx, x, w, b, p, 2, false, "conv2d");
}
avs_tensor *avs_conv3d(avs_ctx *ctx, avs_tensor *x, avs_tensor *w, avs_tensor *b, avs_conv p) {
  return avs_dnnl_convlike(ctx, x, w, b, p, 3, false, "conv3d");
}
