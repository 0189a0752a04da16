/* Shared body of the action-model parity tests (tests/parity/test_action_*.c):
 * for every case of a reference written by tests/action/action_ref.py, build
 * the model through the registry, check its tensor table against PyTorch's
 * state_dict, fill the hashed weights (action_hash.h) and compare with
 * PyTorch's float64 result:
 *   - eval-mode logits (batch 1): |d| <= tol * (max|logit| + |want|), tol 1e-4
 *     (the max part: near-zero logits carry the rounding of the large terms
 *     that cancelled in them);
 *   - train-mode mean cross-entropy (batch 2): 1e-4 relative;
 *   - every parameter gradient: its strided sample with
 *     |d| <= tol * (max|sample| + |want|), its L2 norm within tol relative,
 *     its projection on a hashed vector within tol * norm (an error of tol
 *     per element moves it by about that much); tol = 1e-3.
 * Where PyTorch's own float32 run of the same step deviates from float64 by
 * more (`dev`: in a deep random ReLU network float32 rounding flips a few ReLU
 * gates, each moving the gradients of the layers below it by about
 * 1/positions; see action_ref.py), the bound is DEV_FACTOR * dev for that
 * step (the generators pick clips where it is not: every case is at 1e-3);
 * the test prints both implementations' worst errors. A gradient that
 * is zero up to rounding (action_ref.py: a non-local block's W.0, g and phi
 * biases in training) has no float64 value to compare with: its norm must
 * stay within AC_ROUND_FACTOR times PyTorch float32's norm of it (the 10x of
 * test_action_b_nonlocal.c, where oneDNN's blocked sums of such gradients
 * measured up to 5x PyTorch's). A training step runs its convolutions' forward direct, as
 * PyTorch's (ac_train_ctx). Header-only: one test file includes it. */
#ifndef AVS_TESTS_ACTION_CHECK_H
#define AVS_TESTS_ACTION_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "av/ops/winograd.h"
#include "tests/action/action_hash.h"
#include "tests/harness.h"
#include "video/models/registry.h"

#define AC_LOGIT_TOL 1e-4
#define AC_GRAD_TOL 1e-3
#define DEV_FACTOR 3.0
#define AC_ROUND_FACTOR 10.0

/* The model of arch with the defaults changed by "k=v,k=v": 0, or the error
 * code with avs_errmsg() set (unknown arch or key, malformed value, a
 * configuration the architecture refuses). */
/* A context for a training step to compare with PyTorch's: the convolutions' forward direct, as
 * PyTorch's (by default AVS trains with Winograd's forward where it suits, whose rounding flips a
 * few ReLU and max-pool choices a direct one makes, each moving a gradient by a whole term:
 * av/ops/conv.c). That path's own checks are unit_winograd's and parity_conv's. */
static inline avs_ctx *ac_train_ctx(void) {
  avs_wino_set_training(false);
  return avs_ctx_new(&(avs_ctx_params){.train = true});
}

static inline int ac_model_new(const char *arch, const char *hparams, avs_action_model **m) {
  *m = NULL;
  const avs_action_arch *a = avs_action_arch_find(arch);
  if (!a) return avs_errcode();
  void *cfg = malloc(a->cfg_size);
  AVS_ASSERT(cfg);
  memcpy(cfg, a->cfg_default, a->cfg_size);
  char buf[1024];
  snprintf(buf, sizeof buf, "%s", hparams);
  int rc = 0;
  for (char *save = NULL, *kv = strtok_r(buf, ",", &save); kv && !rc; kv = strtok_r(NULL, ",", &save)) {
    char *eq = strchr(kv, '=');
    AVS_ASSERT(eq);
    *eq = 0;
    rc = avs_cfg_set(a, cfg, kv, eq + 1);
  }
  if (!rc) rc = avs_action_model_new(arch, cfg, m);
  free(cfg);
  return rc;
}

/* ac_model_new, recorded as a check. */
static inline avs_action_model *ac_model(const char *arch, const char *hparams) {
  avs_action_model *m;
  int rc = ac_model_new(arch, hparams, &m);
  tst_true(rc == 0, "%s model (%s): %s", arch, hparams, rc ? avs_errmsg() : "built");
  return m;
}

/* The declared table equals PyTorch's state_dict "name:d0xd1;..." exactly. */
static inline bool ac_table(const char *cs, const avs_params *p, const char *table) {
  int n = 0, bad = 0;
  char first[256] = "";
  char *buf = strdup(table);
  for (char *save = NULL, *e = strtok_r(buf, ";", &save); e; e = strtok_r(NULL, ";", &save), n++) {
    char *colon = strrchr(e, ':');
    *colon = 0;
    avs_tensor *t = avs_params_find(p, e);
    char got[96] = "missing";
    if (t) {
      got[0] = 0;
      for (int d = 0; d < t->ndim; d++)
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld", d ? "x" : "", (long long)t->shape[d]);
    }
    if (strcmp(got, colon + 1) && !bad++) snprintf(first, sizeof first, "%s: C %s, PyTorch %s", e, got, colon + 1);
  }
  free(buf);
  if (n != p->n && !bad++) snprintf(first, sizeof first, "C declares %d tensors, PyTorch has %d", p->n, n);
  return tst_true(!bad, "%s: %d tensors, names and shapes as PyTorch's state_dict%s%s", cs, n, bad ? ": " : "",
                  first);
}

static inline avs_tensor *ac_input(avs_st *st, const char *cs, const char *what) {
  return tst_input(st, "%s.%s", cs, what);
}

static inline void ac_eval(avs_st *st, const char *cs, avs_action_model *m) {
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = false});
  avs_tensor *x = ac_input(st, cs, "eval_x"), *want = tst_tensor(st, "%s.eval_logits", cs);
  avs_tensor *y = avs_action_model_forward(ctx, m, x);
  if (tst_true(y && y->numel == want->numel, "%s eval forward: %s", cs, y ? "logits" : avs_errmsg())) {
    float amax = 0;
    for (int64_t i = 0; i < want->numel; i++) amax = fmaxf(amax, fabsf(want->data[i]));
    avs_tensor *dev = tst_tensor(st, "%s.eval_dev", cs);
    double tol = fmax(AC_LOGIT_TOL, DEV_FACTOR * dev->data[0]);
    char what[96];
    snprintf(what, sizeof what, "%s eval logits (PyTorch f32 %.1e)", cs, dev->data[0]);
    tst_close(what, y->data, want->data, want->numel, (float)(tol * amax), (float)tol);
    avs_tensor_free(&dev);
  }
  tst_input_free(&x);
  avs_tensor_free(&want);
  avs_ctx_free(&ctx);
}

/* A gradient that is zero up to rounding: its norm against AC_ROUND_FACTOR times
 * PyTorch float32's; *worst_round gets the largest ratio to PyTorch's. */
static inline bool ac_grad_round(avs_st *st, const char *cs, const avs_tensor *t, double *worst_round, char *why,
                                 size_t size) {
  avs_tensor *r = tst_tensor(st, "%s.g.%s.round", cs, t->name);
  double norm = 0, want = r->data[0];
  for (int64_t i = 0; i < t->numel; i++) norm += (double)t->grad[i] * t->grad[i];
  norm = sqrt(norm);
  avs_tensor_free(&r);
  bool ok = norm <= AC_ROUND_FACTOR * want;
  if (!ok)
    snprintf(why, size, "%s is zero up to rounding: norm %.3g, PyTorch float32 %.3g (bound %.0fx)", t->name, norm,
             want, AC_ROUND_FACTOR);
  if (getenv("AC_VERBOSE"))
    printf("     %-40s norm %.2e, PyTorch float32 %.2e (zero up to rounding)\n", t->name, norm, want);
  *worst_round = fmax(*worst_round, want > 0 ? norm / want : INFINITY);
  return ok;
}

/* One gradient against its summaries; returns false (and describes it in why) on a mismatch. */
static inline bool ac_grad(avs_st *st, const char *cs, const avs_tensor *t, double tol, double *worst, char *why,
                    size_t size) {
  static float sample[ACTION_HASH_SAMPLE];
  int64_t k;
  double norm, proj;
  if (!t->grad) {
    snprintf(why, size, "%s has no gradient", t->name);
    return false;
  }
  ah_grad_summary(t->name, t->grad, t->numel, sample, &k, &norm, &proj);
  avs_tensor *ws = tst_tensor(st, "%s.g.%s.sample", cs, t->name);
  avs_tensor *wn = tst_tensor(st, "%s.g.%s.norm", cs, t->name), *wp = tst_tensor(st, "%s.g.%s.proj", cs, t->name);
  double err = 0;
  bool ok = ws->numel == k;
  double amax = 0;
  for (int64_t i = 0; ok && i < k; i++) amax = fmax(amax, fabs(ws->data[i]));
  for (int64_t i = 0; ok && i < k; i++) {
    double d = fabs((double)sample[i] - ws->data[i]);
    if (amax > 0) err = fmax(err, d / (amax + fabs(ws->data[i])));
    if (ok && d > tol * (amax + fabs(ws->data[i]))) {
      snprintf(why, size, "%s sample [%lld]: %.7g, PyTorch %.7g (bound %.1e)", t->name, (long long)i, sample[i],
               ws->data[i], tol);
      ok = false;
    }
  }
  double n0 = wn->data[0], dn = fabs(norm - n0), dp = fabs(proj - wp->data[0]);
  if (ok && dn > tol * n0) {
    snprintf(why, size, "%s norm %.7g, PyTorch %.7g (bound %.1e)", t->name, norm, n0, tol);
    ok = false;
  }
  if (ok && dp > tol * n0) {
    snprintf(why, size, "%s projection %.7g, PyTorch %.7g (norm %.3g, bound %.1e)", t->name, proj, wp->data[0], n0,
             tol);
    ok = false;
  }
  if (n0 > 0) err = fmax(err, fmax(dn, dp) / n0);
  if (getenv("AC_VERBOSE")) printf("     %-40s error %.2e\n", t->name, err);
  *worst = fmax(*worst, err);
  avs_tensor_free(&ws), avs_tensor_free(&wn), avs_tensor_free(&wp);
  return ok;
}

/* Every gradient listed in "<cs>.params" against the reference's summaries
 * (ac_grad, ac_grad_round), the bound widened by its "<cs>.train_dev": whether all
 * are within it, and a line saying how they did in msg. */
static inline bool ac_grads_ok(avs_st *st, const char *cs, const avs_params *p, char *msg, size_t size) {
  const char *names = tst_meta_str(st, "%s.params", cs);
  char *buf = strdup(names), why[320] = "";
  int n = 0, bad = 0, n_round = 0;
  double worst = 0, worst_round = 0;
  avs_tensor *dev = tst_tensor(st, "%s.train_dev", cs);
  double tol = fmax(AC_GRAD_TOL, DEV_FACTOR * dev->data[0]);
  for (char *save = NULL, *e = strtok_r(buf, ",", &save); e; e = strtok_r(NULL, ",", &save), n++) {
    avs_tensor *t = avs_params_find(p, e);
    char w[320];
    bool round = t && t->grad && tst_has(st, "%s.g.%s.round", cs, e);
    n_round += round;
    if (!t) snprintf(w, sizeof w, "no tensor %s", e);
    if (!t || !(round ? ac_grad_round(st, cs, t, &worst_round, w, sizeof w)
                      : ac_grad(st, cs, t, tol, &worst, w, sizeof w))) {
      if (!bad++) snprintf(why, sizeof why, "%s", w);
      printf("     %s: %s\n", cs, w);
    }
  }
  free(buf);
  char round_note[160] = "";
  if (n_round)
    snprintf(round_note, sizeof round_note, "; %d zero up to rounding, norms at %.2fx PyTorch float32's "
             "(bound %.0fx)", n_round, worst_round, AC_ROUND_FACTOR);
  snprintf(msg, size,
           "%s gradients of %d parameters (sample, norm, projection) within %.1e (max of %.0e and %.0fx PyTorch "
           "float32's deviation %.1e); worst %.2e%s%s%s",
           cs, n - n_round, tol, AC_GRAD_TOL, DEV_FACTOR, dev->data[0], worst, round_note,
           bad ? "; first bad: " : "", why);
  avs_tensor_free(&dev);
  return !bad;
}

static inline void ac_check_grads(avs_st *st, const char *cs, const avs_params *p) {
  char msg[1024];
  bool ok = ac_grads_ok(st, cs, p, msg, sizeof msg);
  tst_true(ok, "%s", msg);
}

/* One train clip ("<clip>.train_x", ...): forward and backward, the loss and the
 * gradients against the reference's; msg as ac_grads_ok's. */
static inline bool ac_train_clip(avs_st *st, const char *clip, avs_action_model *m, char *msg, size_t size) {
  avs_ctx *ctx = ac_train_ctx();
  avs_tensor *x = ac_input(st, clip, "train_x"), *ly = tst_tensor(st, "%s.train_y", clip);
  avs_tensor *wl = tst_tensor(st, "%s.train_loss", clip);
  int labels[16];
  AVS_ASSERT(ly->numel <= 16);
  for (int i = 0; i < ly->numel; i++) labels[i] = (int)ly->data[i];
  for (int i = 0; i < m->params.n; i++) avs_tensor_zero_grad(m->params.t[i]); /* a clip after another */
  avs_tensor *loss = avs_cross_entropy(ctx, avs_action_model_forward(ctx, m, x), labels);
  bool ok = loss && !avs_backward(ctx, loss);
  if (!ok) {
    snprintf(msg, size, "%s train forward + backward: %s", clip, avs_errmsg());
  } else if (fabs(loss->data[0] - wl->data[0]) > AC_LOGIT_TOL * fabs(wl->data[0])) {
    snprintf(msg, size, "%s train loss %.7g, PyTorch %.7g", clip, loss->data[0], wl->data[0]);
    ok = false;
  } else {
    ok = ac_grads_ok(st, clip, &m->params, msg, size);
  }
  tst_input_free(&x), avs_tensor_free(&ly), avs_tensor_free(&wl);
  avs_ctx_free(&ctx);
  return ok;
}

/* The case's train step; where its clip does not match and the reference has
 * other clips ("<cs>.clips": a ReLU gate within float32 rounding of zero may flip
 * in this library's kernels and not in PyTorch's), the first that matches. */
static inline void ac_train(avs_st *st, const char *cs, avs_action_model *m) {
  char msg[1024], first[1024];
  bool ok = ac_train_clip(st, cs, m, first, sizeof first);
  const char *clips = ok ? NULL : avs_st_meta(st, (snprintf(msg, sizeof msg, "%s.clips", cs), msg));
  if (!clips) {
    tst_true(ok, "%s", first);
    return;
  }
  char *buf = strdup(clips);
  for (char *save = NULL, *c = strtok_r(buf, ",", &save); c && !ok; c = strtok_r(NULL, ",", &save))
    ok = ac_train_clip(st, c, m, msg, sizeof msg);
  tst_true(ok, "%s: %s (its first clip: %s)", cs, ok ? msg : "no clip within the bounds", first);
  free(buf);
}

/* Runs every case listed in the reference's "cases" metadata. */
static inline int ac_run(const char *path) {
  avs_st *st = tst_open(path);
  char *cases = strdup(tst_meta_str(st, "cases"));
  for (char *save = NULL, *cs = strtok_r(cases, ",", &save); cs; cs = strtok_r(NULL, ",", &save)) {
    avs_action_model *m = ac_model(tst_meta_str(st, "%s.arch", cs), tst_meta_str(st, "%s.hparams", cs));
    if (!m) continue;
    if (ac_table(cs, &m->params, tst_meta_str(st, "%s.table", cs))) {
      ah_fill(&m->params);
      ac_eval(st, cs, m);
      if (tst_has(st, "%s.train_x", cs)) ac_train(st, cs, m);
    }
    avs_model_free(&m);
  }
  free(cases);
  avs_st_close(&st);
  return tst_finish();
}

#endif
