/* One LSTM layer as torch.nn.LSTM(batch_first=True), zero initial state,
 * uni- or bidirectional, gate order i, f, g, o:
 *   G = x W_ih^T + b_ih + b_hh                 (all steps, one product)
 *   per step t: G_t += h_{t-1} W_hh^T,  i,f,o = sigmoid, g = tanh,
 *   c_t = f c_{t-1} + i g,  h_t = o tanh(c_t).
 * The reverse direction runs t = L-1 .. 0 with its own weights and writes the
 * second half of the features. Step t's rows are strided views of the
 * (N,L,.) buffers, so nothing is transposed to time-major. Forward keeps the
 * activated gates (N,L,4H) and the cells (N,L,H) per direction in the arena;
 * backward through time:
 *   dh_t = dy_t + dG_{t+1} W_hh,  dc_t = dh_t o (1 - tanh^2 c_t) + dc_{t+1} f_{t+1},
 *   dG_t = [dc g i(1-i), dc c_{t-1} f(1-f), dc i (1-g^2), dh tanh(c_t) o(1-o)],
 * then dW_ih, dW_hh, dx and the biases each in one product / reduction over all steps. */
#include <math.h>

#include "av/gemm.h"
#include "av/ops.h"
#include "av/ops/elem.h"

enum { X, W_IH, W_HH, B_IH, B_HH, N_IN = 9 }; /* node inputs; the reverse set follows at +4 */

typedef struct {
  int n, l, in, h, dirs;
  float *gates[2], *cells[2]; /* (N,L,4H) activated gates, (N,L,H) cells */
  float *dg, *dh, *dc, *hprev; /* backward scratch: (N,L,4H), (N,H), (N,H), (N,L,H) */
} lstm_saved;

static inline float sigm(float x) { return 1.0f / (1.0f + expf(-x)); }

static void direction_forward(const lstm_saved *s, int dir, const float *x, const avs_lstm_w *w, float *y) {
  int n = s->n, l = s->l, h = s->h, g4 = 4 * h, dh = s->dirs * h;
  const avs_tensor *w_ih = dir ? w->w_ih_rev : w->w_ih, *w_hh = dir ? w->w_hh_rev : w->w_hh;
  const avs_tensor *b_ih = dir ? w->b_ih_rev : w->b_ih, *b_hh = dir ? w->b_hh_rev : w->b_hh;
  float *gates = s->gates[dir], *cells = s->cells[dir];
  int64_t rows = (int64_t)n * l;
  bool bias = b_ih || b_hh;
  if (bias) {
#pragma omp parallel for schedule(static) if (rows * g4 >= AVS_PAR_MIN)
    for (int64_t r = 0; r < rows; r++)
      for (int j = 0; j < g4; j++) gates[r * g4 + j] = (b_ih ? b_ih->data[j] : 0) + (b_hh ? b_hh->data[j] : 0);
  }
  avs_gemm(false, true, (int)rows, g4, s->in, 1.0f, x, s->in, w_ih->data, s->in, bias ? 1.0f : 0.0f, gates, g4);
  for (int step = 0; step < l; step++) {
    int t = dir ? l - 1 - step : step, tp = dir ? t + 1 : t - 1;
    float *gt = gates + (int64_t)t * g4;
    if (step) avs_gemm(false, true, n, g4, h, 1.0f, y + (int64_t)tp * dh + dir * h, l * dh, w_hh->data, h, 1.0f, gt, l * g4);
#pragma omp parallel for collapse(2) schedule(static) if ((int64_t)n * h >= 4096)
    for (int b = 0; b < n; b++)
      for (int j = 0; j < h; j++) {
        float *g = gt + (int64_t)b * l * g4;
        float gi = sigm(g[j]), gf = sigm(g[h + j]), gg = tanhf(g[2 * h + j]), go = sigm(g[3 * h + j]);
        float *cb = cells + (int64_t)b * l * h;
        float c = gi * gg + (step ? gf * cb[(int64_t)tp * h + j] : 0.0f);
        cb[(int64_t)t * h + j] = c;
        y[((int64_t)b * l + t) * dh + dir * h + j] = go * tanhf(c);
        g[j] = gi, g[h + j] = gf, g[2 * h + j] = gg, g[3 * h + j] = go;
      }
  }
}

static void direction_backward(const lstm_saved *s, int dir, avs_tensor **in, const avs_tensor *y) {
  int n = s->n, l = s->l, h = s->h, g4 = 4 * h, dh = s->dirs * h;
  avs_tensor *x = in[X], *w_ih = in[W_IH + 4 * dir], *w_hh = in[W_HH + 4 * dir];
  avs_tensor *b_ih = in[B_IH + 4 * dir], *b_hh = in[B_HH + 4 * dir];
  const float *gates = s->gates[dir], *cells = s->cells[dir], *gy = y->grad;
  float *dg = s->dg, *dhb = s->dh, *dcb = s->dc;
  for (int step = l - 1; step >= 0; step--) {
    int t = dir ? l - 1 - step : step, tp = dir ? t + 1 : t - 1;
    bool last = step == l - 1;
#pragma omp parallel for collapse(2) schedule(static) if ((int64_t)n * h >= 4096)
    for (int b = 0; b < n; b++)
      for (int j = 0; j < h; j++) {
        int64_t bt = (int64_t)b * l + t;
        const float *g = gates + bt * g4;
        float gi = g[j], gf = g[h + j], gg = g[2 * h + j], go = g[3 * h + j];
        float c = cells[bt * h + j], tc = tanhf(c);
        float cp = step ? cells[((int64_t)b * l + tp) * h + j] : 0.0f;
        float dhv = gy[bt * dh + dir * h + j] + (last ? 0.0f : dhb[(int64_t)b * h + j]);
        float dcv = dhv * go * (1 - tc * tc) + (last ? 0.0f : dcb[(int64_t)b * h + j]);
        float *d = dg + bt * g4;
        d[j] = dcv * gg * gi * (1 - gi);
        d[h + j] = dcv * cp * gf * (1 - gf);
        d[2 * h + j] = dcv * gi * (1 - gg * gg);
        d[3 * h + j] = dhv * tc * go * (1 - go);
        dcb[(int64_t)b * h + j] = dcv * gf;
      }
    if (step) avs_gemm(false, false, n, h, g4, 1.0f, dg + (int64_t)t * g4, l * g4, w_hh->data, h, 0.0f, dhb, h);
  }
  int rows = n * l;
  if (w_hh->requires_grad) {
    /* hprev[b,t] = h of the step before t in this direction's order (0 at its first step) */
    float *hp = s->hprev;
#pragma omp parallel for collapse(2) schedule(static) if ((int64_t)rows * h >= AVS_PAR_MIN)
    for (int b = 0; b < n; b++)
      for (int t = 0; t < l; t++) {
        int tp = dir ? t + 1 : t - 1;
        float *dst = hp + ((int64_t)b * l + t) * h;
        if (tp < 0 || tp >= l)
          memset(dst, 0, sizeof(float) * h);
        else
          memcpy(dst, y->data + ((int64_t)b * l + tp) * dh + dir * h, sizeof(float) * h);
      }
    avs_gemm(true, false, g4, h, rows, 1.0f, dg, g4, hp, h, 1.0f, w_hh->grad, h);
  }
  if (w_ih->requires_grad) avs_gemm(true, false, g4, s->in, rows, 1.0f, dg, g4, x->data, s->in, 1.0f, w_ih->grad, s->in);
  if (x->requires_grad) avs_gemm(false, false, rows, s->in, g4, 1.0f, dg, g4, w_ih->data, s->in, 1.0f, x->grad, s->in);
  if (b_ih && b_ih->requires_grad) avs_elem_colsum(dg, NULL, rows, g4, 1.0f, b_ih->grad);
  if (b_hh && b_hh->requires_grad) avs_elem_colsum(dg, NULL, rows, g4, 1.0f, b_hh->grad);
}

static void lstm_backward(avs_ctx *ctx, avs_node *node) {
  (void)ctx;
  const lstm_saved *s = node->saved;
  for (int dir = 0; dir < s->dirs; dir++) direction_backward(s, dir, node->in, node->out);
}

static bool bad_shape(const avs_tensor *t, int ndim, int64_t d0, int64_t d1) {
  return t->ndim != ndim || t->shape[0] != d0 || (ndim == 2 && t->shape[1] != d1);
}

static int check_weights(const avs_tensor *x, const avs_lstm_w *w, int dirs) {
  char s1[64], s2[64];
  if (x->ndim != 3)
    return avs_seterr(AVS_ESHAPE, "lstm: input %s is not (N,L,I)", avs_shape_str(x->ndim, x->shape, s1, sizeof s1));
  int64_t i = x->shape[2], g4 = w->w_ih ? w->w_ih->shape[0] : 0, h = g4 / 4;
  for (int dir = 0; dir < dirs; dir++) {
    const char *suffix = dir ? "_reverse" : "";
    const avs_tensor *t[4] = {dir ? w->w_ih_rev : w->w_ih, dir ? w->w_hh_rev : w->w_hh, dir ? w->b_ih_rev : w->b_ih,
                              dir ? w->b_hh_rev : w->b_hh};
    const char *names[4] = {"weight_ih", "weight_hh", "bias_ih", "bias_hh"};
    int64_t d1[4] = {i, h, 0, 0};
    if (!t[0] || !t[1]) return avs_seterr(AVS_EINVAL, "lstm: weight_ih%s and weight_hh%s are required", suffix, suffix);
    if (g4 % 4 || g4 == 0) return avs_seterr(AVS_ESHAPE, "lstm: weight_ih has %lld rows, not 4*hidden", (long long)g4);
    for (int k = 0; k < 4; k++) {
      int nd = k < 2 ? 2 : 1;
      if (t[k] && bad_shape(t[k], nd, g4, d1[k]))
        return avs_seterr(AVS_ESHAPE, "lstm: %s%s has shape %s, expected %s", names[k], suffix,
                          avs_shape_str(t[k]->ndim, t[k]->shape, s1, sizeof s1),
                          avs_shape_str(nd, AVS_SHAPE(g4, d1[k]), s2, sizeof s2));
    }
  }
  return AVS_OK;
}

avs_tensor *avs_lstm(avs_ctx *ctx, avs_tensor *x, const avs_lstm_w *w) {
  if (!x || !w) return NULL;
  int dirs = w->bidirectional ? 2 : 1;
  if (check_weights(x, w, dirs)) return NULL;
  lstm_saved s = {(int)x->shape[0], (int)x->shape[1], (int)x->shape[2], (int)(w->w_ih->shape[0] / 4), dirs, {0}, {0},
                  NULL, NULL, NULL, NULL};
  int64_t rows = (int64_t)s.n * s.l;
  avs_tensor *y = avs_ctx_tensor(ctx, 3, AVS_SHAPE(s.n, s.l, (int64_t)dirs * s.h));
  if (!y) return NULL;
  avs_tensor *ins[N_IN] = {x, w->w_ih, w->w_hh, w->b_ih, w->b_hh, NULL, NULL, NULL, NULL};
  if (dirs == 2) ins[5] = w->w_ih_rev, ins[6] = w->w_hh_rev, ins[7] = w->b_ih_rev, ins[8] = w->b_hh_rev;
  bool tape = avs_tape_wants(ctx, N_IN, ins);
  for (int dir = 0; dir < dirs; dir++) {
    /* Without taping one direction's buffers serve both. */
    if (dir == 0 || tape) {
      s.gates[dir] = avs_ctx_alloc(ctx, sizeof(float) * rows * 4 * s.h);
      s.cells[dir] = avs_ctx_alloc(ctx, sizeof(float) * rows * s.h);
      if (!s.gates[dir] || !s.cells[dir]) return NULL;
    } else {
      s.gates[1] = s.gates[0], s.cells[1] = s.cells[0];
    }
    direction_forward(&s, dir, x->data, w, y->data);
  }
  if (tape) {
    s.dg = avs_ctx_alloc(ctx, sizeof(float) * rows * 4 * s.h);
    s.dh = avs_ctx_alloc(ctx, sizeof(float) * (size_t)s.n * s.h);
    s.dc = avs_ctx_alloc(ctx, sizeof(float) * (size_t)s.n * s.h);
    s.hprev = avs_ctx_alloc(ctx, sizeof(float) * rows * s.h);
    avs_node *node = s.dg && s.dh && s.dc && s.hprev ? avs_tape_push(ctx, "lstm", lstm_backward, y, N_IN, ins) : NULL;
    lstm_saved *saved = node ? avs_ctx_alloc(ctx, sizeof *saved) : NULL;
    if (!saved) return NULL;
    *saved = s;
    node->saved = saved;
  }
  return y;
}
