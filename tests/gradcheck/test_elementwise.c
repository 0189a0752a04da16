/* Finite-difference checks of the smooth activations, log, softmax, arithmetic
 * (same shape and broadcast) and reductions. */
#include <stdio.h>

#include "tests/gradcheck/gradcheck.h"

static avs_tensor *f_sigmoid(avs_ctx *c, avs_tensor **in, void *a) { (void)a; return avs_sigmoid(c, in[0]); }
static avs_tensor *f_tanh(avs_ctx *c, avs_tensor **in, void *a) { (void)a; return avs_tanh(c, in[0]); }
static avs_tensor *f_log(avs_ctx *c, avs_tensor **in, void *a) { (void)a; return avs_ln(c, in[0]); }
static avs_tensor *f_gelu(avs_ctx *c, avs_tensor **in, void *a) { (void)a; return avs_gelu(c, in[0]); }
static avs_tensor *f_softmax(avs_ctx *c, avs_tensor **in, void *a) { (void)a; return avs_softmax(c, in[0]); }
static avs_tensor *f_log_softmax(avs_ctx *c, avs_tensor **in, void *a) { (void)a; return avs_log_softmax(c, in[0]); }
static avs_tensor *f_add(avs_ctx *c, avs_tensor **in, void *a) { (void)a; return avs_add(c, in[0], in[1]); }
static avs_tensor *f_sub(avs_ctx *c, avs_tensor **in, void *a) { (void)a; return avs_sub(c, in[0], in[1]); }
static avs_tensor *f_mul(avs_ctx *c, avs_tensor **in, void *a) { (void)a; return avs_mul(c, in[0], in[1]); }
static avs_tensor *f_scale(avs_ctx *c, avs_tensor **in, void *a) { (void)a; return avs_scale(c, in[0], -1.7f); }
static avs_tensor *f_sum(avs_ctx *c, avs_tensor **in, void *a) { (void)a; return avs_sum(c, in[0]); }
static avs_tensor *f_mean(avs_ctx *c, avs_tensor **in, void *a) { (void)a; return avs_mean(c, in[0]); }
/* a * a: both operands are the same tensor, the gradients add */
static avs_tensor *f_square(avs_ctx *c, avs_tensor **in, void *a) { (void)a; return avs_mul(c, in[0], in[0]); }
/* a chain, so that gradients pass through several nodes */
static avs_tensor *f_chain(avs_ctx *c, avs_tensor **in, void *a) {
  (void)a;
  return avs_mean(c, avs_mul(c, avs_tanh(c, avs_add(c, in[0], in[1])), avs_sigmoid(c, in[0])));
}

static avs_tensor *param(int ndim, const int64_t *shape, float lo, float hi, uint64_t seed) {
  avs_tensor *t = avs_tensor_new(ndim, shape);
  gc_fill(t, lo, hi, seed);
  return t;
}

int main(void) {
  avs_tensor *x = param(3, AVS_SHAPE(2, 5, 7), -3, 3, 1);
  gc_check("sigmoid", f_sigmoid, &x, 1, NULL, (gc_opts){0});
  gc_check("tanh", f_tanh, &x, 1, NULL, (gc_opts){0});
  gc_check("gelu", f_gelu, &x, 1, NULL, (gc_opts){0});
  avs_tensor *pos = param(3, AVS_SHAPE(2, 5, 7), 0.5f, 3, 2); /* log's domain, away from its pole */
  gc_check("log", f_log, &pos, 1, NULL, (gc_opts){0});
  avs_tensor_free(&pos);
  gc_check("softmax", f_softmax, &x, 1, NULL, (gc_opts){0});
  gc_check("log_softmax", f_log_softmax, &x, 1, NULL, (gc_opts){0});
  gc_check("scale", f_scale, &x, 1, NULL, (gc_opts){0});
  gc_check("sum", f_sum, &x, 1, NULL, (gc_opts){0});
  gc_check("mean", f_mean, &x, 1, NULL, (gc_opts){.atol = 1e-4});
  gc_check("mul_self", f_square, &x, 1, NULL, (gc_opts){0});

  /* b of the same shape, per channel, (1,1,C), trailing (L,C) and a 0-dim scalar */
  struct {
    const char *name;
    int ndim;
    int64_t shape[3];
  } bs[] = {
      {"same", 3, {2, 5, 7}}, {"channel", 1, {7}}, {"ones", 3, {1, 1, 7}}, {"trailing", 2, {5, 7}}, {"scalar", 0, {0}},
      {"sample", 3, {2, 1, 7}},
  };
  for (size_t i = 0; i < sizeof bs / sizeof bs[0]; i++) {
    avs_tensor *b = param(bs[i].ndim, bs[i].shape, -2, 2, 10 + i);
    avs_tensor *in[2] = {x, b};
    char name[64];
    snprintf(name, sizeof name, "add_%s", bs[i].name);
    gc_check(name, f_add, in, 2, NULL, (gc_opts){0});
    snprintf(name, sizeof name, "sub_%s", bs[i].name);
    gc_check(name, f_sub, in, 2, NULL, (gc_opts){0});
    snprintf(name, sizeof name, "mul_%s", bs[i].name);
    gc_check(name, f_mul, in, 2, NULL, (gc_opts){0});
    avs_tensor_free(&b);
  }
  avs_tensor *y = param(3, AVS_SHAPE(2, 5, 7), -1, 1, 3);
  avs_tensor *in[2] = {x, y};
  gc_check("chain", f_chain, in, 2, NULL, (gc_opts){.atol = 1e-4});

  /* large enough for the threaded paths (the broadcast gradient sums over rows) */
  avs_tensor *big = param(2, AVS_SHAPE(3000, 16), -2, 2, 4), *bias = param(1, AVS_SHAPE(16), -1, 1, 5);
  avs_tensor *in2[2] = {big, bias};
  gc_check("mul_channel_large", f_mul, in2, 2, NULL, (gc_opts){.h = 1e-2, .atol = 2e-2, .max_checks = 16});
  gc_check("softmax_large", f_softmax, &big, 1, NULL, (gc_opts){.max_checks = 16});
  avs_tensor_free(&big), avs_tensor_free(&bias), avs_tensor_free(&x), avs_tensor_free(&y);
  return tst_finish();
}
