/* avs_attention and avs_mha against PyTorch (gen_attention.py): Lq != Lk,
 * 2 and 4 heads, and self-attention (one tensor as q, k and v); the
 * weights-returning forms (avs_attention_weights + avs_attention_apply,
 * avs_mha_weights) with a gradient through both the output and the weights.
 * Tolerances (|got-want| <= atol + rtol*|want|):
 *   forward   atol 1e-5, rtol 1e-4
 *   gradients atol 1e-5, rtol 1e-3   (sgemm accumulation order differs from PyTorch) */
#include <stdio.h>
#include <string.h>

#include "tests/harness.h"

#define FWD_ATOL 1e-5f
#define FWD_RTOL 1e-4f
#define GRAD_ATOL 1e-5f
#define GRAD_RTOL 1e-3f

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  avs_st *st = tst_open(argv[1]);
  char cases[1024];
  snprintf(cases, sizeof cases, "%s", tst_meta_str(st, "cases"));
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = true});
  for (char *cs = strtok(cases, ","); cs; cs = strtok(NULL, ",")) {
    const char *kind = tst_meta_str(st, "%s.kind", cs);
    int heads = (int)tst_meta_int(st, "%s.heads", cs);
    bool self = !strcmp(kind, "mha") && tst_meta_int(st, "%s.self", cs);
    avs_tensor *q = tst_tensor(st, "%s.q", cs);
    avs_tensor *k = self ? q : tst_tensor(st, "%s.k", cs), *v = self ? q : tst_tensor(st, "%s.v", cs);
    avs_tensor *w[4] = {NULL, NULL, NULL, NULL};
    static const char *wname[4] = {"in_proj_weight", "in_proj_bias", "out_proj_weight", "out_proj_bias"};
    bool weights = !strcmp(kind, "split") || (!strcmp(kind, "mha") && tst_meta_int(st, "%s.weights", cs));
    avs_tensor *y, *p = NULL;
    if (!strcmp(kind, "attention")) {
      y = avs_attention(ctx, q, k, v, heads);
    } else if (!strcmp(kind, "split")) {
      p = avs_attention_weights(ctx, q, k, heads);
      y = avs_attention_apply(ctx, p, v);
    } else {
      for (int i = 0; i < 4; i++) w[i] = tst_tensor(st, "%s.%s", cs, wname[i]);
      avs_mha_w mw = {w[0], w[1], w[2], w[3], heads};
      y = weights ? avs_mha_weights(ctx, q, k, v, &mw, &p) : avs_mha(ctx, q, k, v, &mw);
    }
    if (tst_true(y != NULL && (!weights || p), "%s runs %s", cs, y ? "" : avs_errmsg())) {
      avs_tensor *gy = tst_tensor(st, "%s.gy", cs);
      tst_close_ref(st, cs, "y", y->data, FWD_ATOL, FWD_RTOL);
      if (weights) { /* L = sum(y gy) + sum(p gp) */
        avs_tensor *gp = tst_tensor(st, "%s.gp", cs);
        tst_close_ref(st, cs, "p", p->data, FWD_ATOL, FWD_RTOL);
        avs_tensor *loss = avs_add(ctx, avs_sum(ctx, avs_mul(ctx, y, gy)), avs_sum(ctx, avs_mul(ctx, p, gp)));
        tst_true(loss && avs_backward(ctx, loss) == 0, "%s backward %s", cs, avs_errmsg());
        avs_tensor_free(&gp);
      } else {
        tst_true(avs_backward_from(ctx, y, gy->data) == 0, "%s backward %s", cs, avs_errmsg());
      }
      tst_close_ref(st, cs, "gq", q->grad, GRAD_ATOL, GRAD_RTOL);
      if (!self) tst_close_ref(st, cs, "gk", k->grad, GRAD_ATOL, GRAD_RTOL), tst_close_ref(st, cs, "gv", v->grad, GRAD_ATOL, GRAD_RTOL);
      for (int i = 0; i < 4; i++)
        if (w[i]) {
          char g[64];
          snprintf(g, sizeof g, "g_%s", wname[i]);
          tst_close_ref(st, cs, g, w[i]->grad, GRAD_ATOL, GRAD_RTOL);
        }
      avs_tensor_free(&gy);
    }
    avs_ctx_reset(ctx);
    for (int i = 0; i < 4; i++) avs_tensor_free(&w[i]);
    if (!self) avs_tensor_free(&k), avs_tensor_free(&v);
    avs_tensor_free(&q);
  }
  /* bad arguments are reported */
  avs_tensor *a = avs_tensor_new(3, AVS_SHAPE(1, 3, 6)), *b = avs_tensor_new(3, AVS_SHAPE(1, 4, 5));
  tst_true(avs_attention(ctx, a, a, a, 4) == NULL && strstr(avs_errmsg(), "heads"), "heads must divide E: %s",
           avs_errmsg());
  tst_true(avs_attention(ctx, a, b, b, 2) == NULL && strstr(avs_errmsg(), "attention"), "q/k mismatch: %s",
           avs_errmsg());
  tst_true(avs_attention_weights(ctx, a, a, 4) == NULL && strstr(avs_errmsg(), "attention_weights: 4 heads"),
           "weights: heads must divide E: %s", avs_errmsg());
  tst_true(avs_attention_apply(ctx, a, a) == NULL && strstr(avs_errmsg(), "attention_apply"), "apply shapes: %s",
           avs_errmsg());
  avs_mha_w mw = {b, NULL, b, NULL, 2};
  tst_true(avs_mha(ctx, a, a, a, &mw) == NULL && strstr(avs_errmsg(), "in_proj_weight"), "mha weight shape: %s",
           avs_errmsg());
  avs_tensor_free(&a), avs_tensor_free(&b);
  avs_ctx_free(&ctx);
  avs_st_close(&st);
  return tst_finish();
}
