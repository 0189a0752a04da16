/* Runner for one-op parity cases written by tests/parity/opcase.py: for each
 * case, loads in0.. (inputs without a reference gradient g<i> get
 * requires_grad = false), runs the op in a training context, compares y,
 * back-propagates gy (no backward kernel may set an error) and compares each
 * g<i>. Tolerances come from the test's table, per op. A suite may add checks
 * per case (caches, accumulation, inference) and checks that need no
 * reference (bad arguments). Each case starts in training mode; run() may
 * switch the context to inference (avs_ctx_set_train) for an eval case.
 * A 0-d output matches a reference of shape (1): st.py cannot store 0-d. */
#ifndef AVS_TEST_OP_CASES_H
#define AVS_TEST_OP_CASES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/harness.h"

#define OC_MAX_IN 16

typedef struct {
  const char *op;
  float fwd_atol, fwd_rtol, grad_atol, grad_rtol;
} oc_tol;

/* Runs case `name` (op `op`) on inputs in[0..n-1]; NULL on failure. */
typedef avs_tensor *(*oc_run_fn)(avs_ctx *ctx, avs_st *st, const char *name, const char *op, avs_tensor **in, int n);

typedef struct {
  oc_run_fn run;
  const oc_tol *tols;
  /* Optional: more checks of a case after its forward and gradients were
   * compared (y non-NULL; in[i]->grad filled; ctx not yet reset). */
  void (*after)(avs_ctx *ctx, avs_st *st, const char *name, const char *op, avs_tensor **in, int n, avs_tensor *y);
  /* Optional: checks that need no reference (bad arguments), after the cases. */
  void (*extra)(avs_ctx *ctx);
  /* Optional: the absolute tolerance of input i's gradient in this case, given the op's (an
   * algorithm whose rounding scales with the whole tensor, not with each element). */
  float (*grad_atol)(avs_st *st, const char *name, avs_tensor **in, int i, const avs_tensor *g_ref, float atol);
  /* Optional: the same for the (taped) forward's output. */
  float (*fwd_atol)(avs_st *st, const char *name, avs_tensor **in, const avs_tensor *y_ref, float atol);
} oc_suite;

/* Metadata "a,b,c" of case `name` as up to `max` integers; returns the count. */
static inline int oc_meta_ints(avs_st *st, const char *name, const char *key, long *out, int max) {
  const char *s = tst_meta_str(st, "%s.%s", name, key);
  int n = 0;
  while (*s && n < max) {
    char *end;
    out[n++] = strtol(s, &end, 10);
    s = *end == ',' ? end + 1 : end;
    if (end == s && *s) break;
  }
  return n;
}

static inline const oc_tol *oc_find(const oc_tol *tols, const char *op) {
  for (; tols->op; tols++)
    if (!strcmp(tols->op, op)) return tols;
  return NULL;
}

/* Metadata "a,b,c" of case `name` as exactly n ints (missing ones 0). */
static inline void oc_meta_int_array(avs_st *st, const char *name, const char *key, int *out, int n) {
  long v[8] = {0};
  oc_meta_ints(st, name, key, v, n < 8 ? n : 8);
  for (int i = 0; i < n; i++) out[i] = (int)v[i];
}

static inline int oc_run(int argc, char **argv, const oc_suite *suite) {
  oc_run_fn run = suite->run;
  const oc_tol *tols = suite->tols;
  if (argc < 2) {
    printf("usage: %s REFERENCE.safetensors\n", argv[0]);
    return 2;
  }
  avs_st *st = tst_open(argv[1]);
  static char cases[1 << 14];
  snprintf(cases, sizeof cases, "%s", tst_meta_str(st, "cases"));
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = true});
  char *save = NULL;
  for (char *name = strtok_r(cases, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
    const char *op = tst_meta_str(st, "%s.op", name);
    const oc_tol *tol = oc_find(tols, op);
    if (!tol) {
      tst_true(false, "%s: no tolerance stated for op %s", name, op);
      continue;
    }
    avs_tensor *in[OC_MAX_IN] = {0};
    int n = 0;
    while (n < OC_MAX_IN && tst_has(st, "%s.in%d", name, n)) {
      in[n] = tst_tensor(st, "%s.in%d", name, n);
      in[n]->requires_grad = tst_has(st, "%s.g%d", name, n);
      n++;
    }
    avs_tensor *y_ref = tst_tensor(st, "%s.y", name), *gy = tst_tensor(st, "%s.gy", name);
    avs_tensor *y = run(ctx, st, name, op, in, n);
    char what[128];
    if (!y) tst_true(false, "%s runs (%s)", name, avs_errmsg());
    if (y) {
      snprintf(what, sizeof what, "%s forward", name);
      /* st.py stores a 0-d array as shape (1) */
      bool shape_ok = avs_tensor_same_shape(y, y_ref) || (y->ndim == 0 && y_ref->ndim == 1 && y_ref->numel == 1);
      if (!shape_ok) tst_true(false, "%s output shape", name);
      else
        tst_close(what, y->data, y_ref->data, y->numel,
                  suite->fwd_atol ? suite->fwd_atol(st, name, in, y_ref, tol->fwd_atol) : tol->fwd_atol, tol->fwd_rtol);
      avs_clearerr(); /* backward kernels report failures through the error state */
      int rc = shape_ok && y->requires_grad ? avs_backward_from(ctx, y, gy->data) : -1;
      if (rc == 0 && avs_errcode()) rc = avs_errcode();
      for (int i = 0; i < n; i++) {
        if (!in[i]->requires_grad) continue;
        avs_tensor *g_ref = tst_tensor(st, "%s.g%d", name, i);
        snprintf(what, sizeof what, "%s grad in%d", name, i);
        if (rc != 0 || !in[i]->grad) tst_true(false, "%s backward reaches in%d (%s)", name, i, avs_errmsg());
        else
          tst_close(what, in[i]->grad, g_ref->data, g_ref->numel,
                    suite->grad_atol ? suite->grad_atol(st, name, in, i, g_ref, tol->grad_atol) : tol->grad_atol,
                    tol->grad_rtol);
        avs_tensor_free(&g_ref);
      }
      if (shape_ok && suite->after) suite->after(ctx, st, name, op, in, n, y);
    }
    avs_ctx_reset(ctx);
    avs_ctx_set_train(ctx, true);
    for (int i = 0; i < n; i++) avs_tensor_free(&in[i]);
    avs_tensor_free(&y_ref), avs_tensor_free(&gy);
  }
  if (suite->extra) suite->extra(ctx);
  avs_ctx_free(&ctx);
  avs_st_close(&st);
  return tst_finish();
}

static inline int oc_main(int argc, char **argv, oc_run_fn run, const oc_tol *tols) {
  return oc_run(argc, argv, &(oc_suite){.run = run, .tols = tols});
}

#endif
