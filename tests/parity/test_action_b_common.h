/* Shared checks of the action-recognition parity tests (test_action_b_*.c)
 * against what gen_action_b_common.py writes: load every declared tensor from
 * w.<name> (the declared table must equal PyTorch's state_dict exactly),
 * compare eval-mode logits (batch norms as ops and folded into the convs),
 * then one train-mode step: logits, loss, every
 * parameter's gradient and the buffers (running statistics) after it, and
 * optionally a train-mode forward with batch statistics (logits, buffers).
 *
 * Tolerances (why): oneDNN/OpenBLAS and PyTorch sum in different orders, so
 * each op differs by float32 rounding (~1e-7 relative) that deep networks
 * compound; values that are small next to the rest of their tensor carry the
 * tensor's absolute rounding, so each bound is relative to the element plus a
 * fraction of the tensor's largest magnitude:
 *   logits (all modes), loss:         1e-4 * |x| + 1e-4 * max|x|
 *   gradients:                        1e-3 * |g| + 1e-4 * max|g| (per tensor)
 *   running statistics after a step:  1e-4 * |x| + 1e-5 * max|x|
 * The training references are float64 results, and each train-mode bound also
 * allows AB_TORCH_ERR times PyTorch's own float32 deviation from them
 * (err.<key>): batch statistics over few values make a deep network
 * ill-conditioned (I3D's logits at 8x32x32 with batch statistics: PyTorch's
 * float32 result is off by a few times the nominal bound), and a float32
 * implementation can only be asked to be about as accurate as PyTorch's. For
 * well-conditioned values err.<key> is tiny and the nominal bound decides. */
#ifndef TEST_ACTION_B_COMMON_H
#define TEST_ACTION_B_COMMON_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nn/fold.h"
#include "tests/action/action_check.h" /* ac_train_ctx */
#include "tests/harness.h"

#define AB_TORCH_ERR 4.0 /* float32 rounding is random: allow a few times PyTorch's own */

typedef struct {
  const char *name;
  int (*declare)(avs_params *p, const void *cfg);
  avs_tensor *(*forward)(avs_ctx *ctx, const avs_params *p, const void *cfg, avs_tensor *clip);
  const void *cfg;
} ab_model;

static inline double ab_max_abs(const float *x, int64_t n) {
  double m = 0;
  for (int64_t i = 0; i < n; i++) m = fmax(m, fabs(x[i]));
  return m;
}

/* tst_close with atol = scale_atol * max|want|. */
static inline bool ab_close(const char *what, const float *got, const float *want, int64_t n, double rtol,
                     double scale_atol) {
  return tst_close(what, got, want, n, (float)(scale_atol * ab_max_abs(want, n)), (float)rtol);
}

/* Absolute part of a train-mode bound: frac * max|want| + AB_TORCH_ERR * err.<key>. */
static inline float ab_train_atol(avs_st *st, const char *key, const avs_tensor *want, double frac) {
  avs_tensor *e = tst_tensor(st, "err.%s", key);
  double atol = frac * ab_max_abs(want->data, want->numel) + AB_TORCH_ERR * e->data[0];
  avs_tensor_free(&e);
  return (float)atol;
}

/* Declares the model and loads w.<name> into every tensor; checks that the
 * reference holds no w.* tensor the model does not declare. */
static inline bool ab_load(const ab_model *m, avs_params *p, avs_st *st) {
  avs_params_init(p, m->name);
  if (m->declare(p, m->cfg)) return tst_true(false, "%s: declare: %s", m->name, avs_errmsg());
  int missing = 0, wrong = 0, extra = 0;
  for (int i = 0; i < p->n; i++) {
    avs_tensor *t = p->t[i];
    int ndim;
    int64_t shape[AVS_MAX_DIMS];
    const float *data;
    char key[256];
    snprintf(key, sizeof key, "w.%s", t->name);
    if (avs_st_get(st, key, &ndim, shape, &data)) {
      if (!missing++) printf("     %s: '%s' is not in PyTorch's state_dict\n", m->name, t->name);
      continue;
    }
    if (ndim != t->ndim || avs_shape_numel(ndim, shape) != t->numel || memcmp(shape, t->shape, sizeof(int64_t) * ndim)) {
      char a[96], b[96];
      if (!wrong++)
        printf("     %s: '%s' declared %s, PyTorch %s\n", m->name, t->name, avs_shape_str(t->ndim, t->shape, a, sizeof a),
               avs_shape_str(ndim, shape, b, sizeof b));
      continue;
    }
    memcpy(t->data, data, sizeof(float) * t->numel);
  }
  for (int i = 0; i < avs_st_count(st); i++) {
    const char *n = avs_st_name(st, i);
    if (!strncmp(n, "w.", 2) && !avs_params_find(p, n + 2) && !extra++)
      printf("     %s: PyTorch's '%s' is not declared\n", m->name, n + 2);
  }
  return tst_true(!missing && !wrong && !extra,
                  "%s: %d declared tensors (%lld values) match PyTorch's state_dict (%d missing, %d wrong shape, %d extra)",
                  m->name, p->n, (long long)avs_params_numel(p), missing, wrong, extra);
}

/* Calls check(ctx, folded, arg) twice with an eval-mode context: batch norms run
 * as ops, then folded into the convolutions before them (a fold cache selected
 * during check, as the registry does). */
static inline void ab_eval_modes(void (*check)(avs_ctx *ctx, bool folded, void *arg), void *arg) {
  avs_fold_cache *fold = avs_fold_cache_new();
  AVS_ASSERT(fold);
  for (int folded = 0; folded < 2; folded++) {
    avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = false});
    AVS_ASSERT(ctx);
    avs_fold_cache *prev = avs_ctx_swap_fold(ctx, folded ? fold : NULL);
    check(ctx, folded, arg);
    avs_ctx_swap_fold(ctx, prev);
    avs_ctx_free(&ctx);
  }
  avs_fold_cache_free(&fold);
}

typedef struct {
  const ab_model *m;
  const avs_params *p;
  avs_tensor *x, *want;
} ab_eval_arg;

static inline void ab_eval_logits(avs_ctx *ctx, bool folded, void *arg) {
  const ab_eval_arg *a = arg;
  avs_tensor *y = a->m->forward(ctx, a->p, a->m->cfg, a->x);
  char what[96];
  snprintf(what, sizeof what, "%s eval logits%s", a->m->name, folded ? " (BN folded)" : "");
  if (tst_true(y && y->numel == a->want->numel, "%s: forward %s", what, y ? "ok" : avs_errmsg()))
    ab_close(what, y->data, a->want->data, a->want->numel, 1e-4, 1e-4);
}

/* Eval-mode logits in both modes of ab_eval_modes. */
static inline void ab_check_eval(const ab_model *m, const avs_params *p, avs_st *st) {
  ab_eval_arg a = {m, p, tst_tensor(st, "eval.x"), tst_tensor(st, "eval.logits")};
  ab_eval_modes(ab_eval_logits, &a);
  avs_tensor_free(&a.x), avs_tensor_free(&a.want);
}

/* Compares, for every declared tensor with a reference under grad_prefix
 * (its gradient) or data_prefix (its values), against the train-mode bounds;
 * one line per failing tensor, then a summary. */
static inline void ab_check_tensors(const ab_model *m, avs_params *p, avs_st *st, const char *grad_prefix,
                             const char *data_prefix, const char *what_all) {
  int n_checked = 0, bad = 0, beyond_nominal = 0;
  double worst = 0;
  const char *worst_name = "";
  for (int i = 0; i < p->n; i++) {
    avs_tensor *t = p->t[i];
    bool is_grad = grad_prefix && tst_has(st, "%s%s", grad_prefix, t->name);
    if (!is_grad && !(data_prefix && tst_has(st, "%s%s", data_prefix, t->name))) continue;
    char key[160], what[200];
    snprintf(key, sizeof key, "%s%s", is_grad ? grad_prefix : data_prefix, t->name);
    avs_tensor *w = tst_tensor(st, "%s", key);
    const float *got = is_grad ? t->grad : t->data;
    double rtol = is_grad ? 1e-3 : 1e-4, frac = is_grad ? 1e-4 : 1e-5;
    double atol = ab_train_atol(st, key, w, frac), atol_nominal = frac * ab_max_abs(w->data, w->numel);
    double err = 0, err_nominal = 0; /* max of |d| / bound; no gradient at all counts as zeros */
    if (!got) err = err_nominal = ab_max_abs(w->data, w->numel) > 0 ? INFINITY : 0;
    for (int64_t j = 0; got && j < w->numel; j++) {
      double d = fabs((double)got[j] - w->data[j]), r = rtol * fabs(w->data[j]);
      if (isnan(d)) d = INFINITY;
      err = fmax(err, d == 0 ? 0 : d / (atol + r));
      err_nominal = fmax(err_nominal, d == 0 ? 0 : d / (atol_nominal + r));
    }
    n_checked++;
    beyond_nominal += err_nominal > 1;
    if (err > worst) worst = err, worst_name = t->name;
    if (err > 1) {
      bad++;
      snprintf(what, sizeof what, "%s %s", m->name, key);
      if (got) tst_close(what, got, w->data, w->numel, (float)atol, (float)rtol);
      else tst_true(false, "%s: no gradient", what);
    }
    avs_tensor_free(&w);
  }
  tst_true(bad == 0 && n_checked > 0,
           "%s: %d %s within tolerance (worst: %s at %.2f of its bound; %d beyond the nominal bound, within "
           "PyTorch's own float32 error)",
           m->name, n_checked, what_all, worst_name, worst, beyond_nominal);
}

/* One train-mode forward and backward of the mean cross-entropy. */
static inline void ab_check_train(const ab_model *m, avs_params *p, avs_st *st) {
  avs_ctx *ctx = ac_train_ctx();
  AVS_ASSERT(ctx);
  avs_tensor *x = tst_tensor(st, "train.x"), *lab = tst_tensor(st, "train.labels");
  avs_tensor *want = tst_tensor(st, "train.logits"), *want_loss = tst_tensor(st, "train.loss");
  x->requires_grad = false; /* an input, not a parameter */
  int labels[64];
  AVS_ASSERT(lab->numel <= 64);
  for (int i = 0; i < lab->numel; i++) labels[i] = (int)lab->data[i];
  for (int i = 0; i < p->n; i++) avs_tensor_zero_grad(p->t[i]);
  avs_tensor *y = m->forward(ctx, p, m->cfg, x);
  avs_tensor *loss = avs_cross_entropy(ctx, y, labels);
  char what[160];
  int rc = loss ? avs_backward(ctx, loss) : -1;
  if (!tst_true(!rc, "%s train step: %s", m->name, rc ? avs_errmsg() : "ok")) goto done;
  snprintf(what, sizeof what, "%s train logits", m->name);
  tst_close(what, y->data, want->data, want->numel, ab_train_atol(st, "train.logits", want, 1e-4), 1e-4f);
  snprintf(what, sizeof what, "%s train loss", m->name);
  tst_close(what, loss->data, want_loss->data, 1, ab_train_atol(st, "train.loss", want_loss, 1e-4), 1e-4f);
  ab_check_tensors(m, p, st, "grad.", "after.", "parameter gradients and the buffers after the step");
done:
  avs_tensor_free(&x), avs_tensor_free(&lab), avs_tensor_free(&want), avs_tensor_free(&want_loss);
  avs_ctx_free(&ctx);
}

/* A train-mode forward with batch statistics, no backward: logits and the
 * running statistics it leaves (call after ab_check_train, which leaves them
 * unchanged only when its model keeps batch norms on running statistics). */
static inline void ab_check_batch_stats(const ab_model *m, avs_params *p, avs_st *st) {
  avs_ctx *ctx = ac_train_ctx();
  AVS_ASSERT(ctx);
  avs_ctx_set_grad(ctx, false);
  avs_tensor *x = tst_tensor(st, "bs.x"), *want = tst_tensor(st, "bs.logits");
  avs_tensor *y = m->forward(ctx, p, m->cfg, x);
  char what[96];
  snprintf(what, sizeof what, "%s batch-statistics logits", m->name);
  if (tst_true(y && y->numel == want->numel, "%s batch-statistics forward: %s", m->name, y ? "ok" : avs_errmsg()))
    tst_close(what, y->data, want->data, want->numel, ab_train_atol(st, "bs.logits", want, 1e-4), 1e-4f);
  ab_check_tensors(m, p, st, NULL, "bs.after.", "running statistics after a batch-statistics forward");
  avs_tensor_free(&x), avs_tensor_free(&want);
  avs_ctx_free(&ctx);
}

#endif

