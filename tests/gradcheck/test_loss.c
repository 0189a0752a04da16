/* Finite-difference checks of the losses' backward: inputs are kept away from
 * the kinks (|x - t| > h for L1) and from the clamps (probabilities in
 * [0.1, 0.9] for BCE). Losses are means, so gradients are O(1/n) and the
 * absolute tolerance is scaled down accordingly. */
#include "tests/gradcheck/gradcheck.h"

static avs_tensor *f_l1(avs_ctx *c, avs_tensor **in, void *a) { (void)a; return avs_l1_loss(c, in[0], in[1]); }
static avs_tensor *f_mse(avs_ctx *c, avs_tensor **in, void *a) { (void)a; return avs_mse_loss(c, in[0], in[1]); }
static avs_tensor *f_bce(avs_ctx *c, avs_tensor **in, void *a) { (void)a; return avs_bce_loss(c, in[0], in[1], in[2]); }
static avs_tensor *f_bcel(avs_ctx *c, avs_tensor **in, void *a) {
  (void)a;
  return avs_bce_logits_loss(c, in[0], in[1], in[2]);
}
static avs_tensor *f_ce(avs_ctx *c, avs_tensor **in, void *a) { return avs_cross_entropy(c, in[0], a); }
static avs_tensor *f_nce(avs_ctx *c, avs_tensor **in, void *a) { return avs_info_nce(c, in[0], in[1], *(float *)a); }

static avs_tensor *param(int ndim, const int64_t *shape, float lo, float hi, uint64_t seed) {
  avs_tensor *t = avs_tensor_new(ndim, shape);
  gc_fill(t, lo, hi, seed);
  return t;
}

int main(void) {
  gc_opts o = {.h = 1e-2, .atol = 2e-5, .rtol = 1e-2};
  avs_tensor *x = param(2, AVS_SHAPE(6, 7), -2, 2, 1), *t = param(2, AVS_SHAPE(6, 7), -2, 2, 2);
  for (int64_t i = 0; i < x->numel; i++) /* |x - t| >= 0.05, far from L1's kink */
    if (x->data[i] - t->data[i] < 0.05f && x->data[i] - t->data[i] > -0.05f) x->data[i] += 0.1f;
  avs_tensor *in[3] = {x, t, NULL};
  gc_check("l1_loss", f_l1, in, 2, NULL, o);
  gc_check("mse_loss", f_mse, in, 2, NULL, o);

  avs_tensor *p = param(2, AVS_SHAPE(6, 7), 0.1f, 0.9f, 3), *pt = param(2, AVS_SHAPE(6, 7), 0, 1, 4);
  avs_tensor *w = param(2, AVS_SHAPE(6, 7), 0.5f, 2, 5);
  w->requires_grad = false; /* weights are constants */
  avs_tensor *bin[3] = {p, pt, NULL};
  /* d/dp with a small step (the loss curves strongly near 0.1); d/dt, where
   * the loss is linear, with a larger one (float resolution of the mean) */
  gc_opts op = {.h = 1e-3, .atol = 2e-5, .rtol = 1e-2}, ot = {.h = 5e-2, .atol = 2e-5, .rtol = 1e-2};
  for (int weighted = 0; weighted < 2; weighted++) {
    bin[2] = weighted ? w : NULL;
    pt->requires_grad = false;
    gc_check(weighted ? "bce_loss_weight (p)" : "bce_loss (p)", f_bce, bin, 3, NULL, op);
    pt->requires_grad = true, p->requires_grad = false;
    gc_check(weighted ? "bce_loss_weight (target)" : "bce_loss (target)", f_bce, bin, 3, NULL, ot);
    p->requires_grad = true;
  }
  avs_tensor *lin[3] = {x, pt, NULL};
  gc_check("bce_logits_loss", f_bcel, lin, 3, NULL, o);
  lin[2] = w;
  gc_check("bce_logits_loss_weight", f_bcel, lin, 3, NULL, o);

  int labels[6] = {0, 6, 3, 3, 1, 5};
  gc_check("cross_entropy", f_ce, &x, 1, labels, o);

  avs_tensor *a = param(2, AVS_SHAPE(5, 4), -1, 1, 6), *b = param(2, AVS_SHAPE(5, 4), -1, 1, 7);
  avs_tensor *nin[2] = {a, b};
  float temp = 0.5f;
  gc_check("info_nce", f_nce, nin, 2, &temp, (gc_opts){.h = 1e-3, .atol = 1e-4, .rtol = 1e-2});
  avs_tensor_free(&x), avs_tensor_free(&t), avs_tensor_free(&p), avs_tensor_free(&pt), avs_tensor_free(&w);
  avs_tensor_free(&a), avs_tensor_free(&b);
  return tst_finish();
}
