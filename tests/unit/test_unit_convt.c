/* The transposed-convolution unit (nn/unit.h): tensors declared as
 * nn.ConvTranspose2d names and shapes them (weight (in, out, k, k), bias
 * (out)), its output equals the op it wraps (the op itself is checked against
 * PyTorch in tests/parity/test_conv.c), the output size follows
 * (in - 1) * stride - 2 * pad + k, and the layer trace counts its parameters. */
#include <string.h>

#include "nn/trace.h"
#include "nn/unit.h"
#include "tests/harness.h"

int main(void) {
  avs_params p;
  avs_params_init(&p, "test");
  avs_conv_spec s = {2, 3, 5, {4, 4}, {2, 2}, {1, 1}, true, {0}};
  tst_true(!avs_unit_declare_conv_transpose(&p, "up", &s), "declare: %s", avs_errmsg());
  avs_tensor *w = avs_params_find(&p, "up.weight"), *b = avs_params_find(&p, "up.bias");
  tst_true(w && w->ndim == 4 && w->shape[0] == 3 && w->shape[1] == 5 && w->shape[2] == 4 && w->shape[3] == 4,
           "weight (in 3, out 5, 4, 4)");
  tst_true(b && b->ndim == 1 && b->shape[0] == 5, "bias (5)");
  avs_rng r;
  avs_rng_seed(&r, 7);
  for (int64_t i = 0; w && i < w->numel; i++) w->data[i] = avs_rng_uniform(&r) - 0.5f;
  for (int64_t i = 0; b && i < b->numel; i++) b->data[i] = avs_rng_uniform(&r) - 0.5f;
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = false});
  avs_tensor *x = avs_ctx_zeros(ctx, 4, AVS_SHAPE(2, 6, 7, 3));
  for (int64_t i = 0; i < x->numel; i++) x->data[i] = avs_rng_uniform(&r) * 2 - 1;
  avs_layer_trace t = {0};
  avs_layer_trace_start(ctx, &t);
  avs_tensor *y = avs_unit_conv_transpose(ctx, &p, "up", &s, x);
  avs_layer_trace_stop(ctx);
  avs_tensor *want = avs_conv_transpose2d(ctx, x, w, b, (avs_conv){.stride = {2, 2}, .pad = {1, 1}});
  if (tst_true(y && want && y->ndim == 4 && y->shape[1] == 12 && y->shape[2] == 14 && y->shape[3] == 5,
               "output (2, 12, 14, 5)"))
    tst_close("unit = op", y->data, want->data, y->numel, 0, 0);
  tst_true(t.n == 1 && !strcmp(t.rows[0].kind, "convT2d") && t.rows[0].params == 3 * 5 * 16 + 5 &&
               t.rows[0].macs == x->numel * 5 * 16,
           "one trace row with %lld parameters", t.n ? (long long)t.rows[0].params : 0LL);
  tst_true(avs_unit_declare_conv_transpose(&p, "bad", &(avs_conv_spec){4, 3, 5, {4}, {2}, {1}, false, {0}}) ==
               AVS_EINVAL,
           "4 spatial dims refused: %s", avs_errmsg());
  avs_layer_trace_free(&t);
  avs_ctx_free(&ctx);
  avs_params_free(&p);
  return tst_finish();
}
