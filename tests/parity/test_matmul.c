/* avs_linear and avs_matmul against PyTorch (gen_matmul.py).
 * Tolerances (numpy.allclose style, |got-want| <= atol + rtol*|want|):
 *   forward   atol 1e-5, rtol 1e-4
 *   gradients atol 1e-5, rtol 1e-3
 * sgemm's accumulation order differs from PyTorch's (MKL-DNN/OpenBLAS), so
 * results agree to a few float32 ulps of the dot products, not bit for bit. */
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
    avs_tensor *in[3] = {NULL, NULL, NULL}, *y;
    const char *gnames[3];
    int n_in;
    if (!strcmp(kind, "linear")) {
      bool bias = tst_meta_int(st, "%s.bias", cs);
      in[0] = tst_tensor(st, "%s.x", cs), in[1] = tst_tensor(st, "%s.w", cs);
      in[2] = bias ? tst_tensor(st, "%s.b", cs) : NULL;
      gnames[0] = "gx", gnames[1] = "gw", gnames[2] = "gb";
      n_in = bias ? 3 : 2;
      y = avs_linear(ctx, in[0], in[1], in[2]);
    } else {
      in[0] = tst_tensor(st, "%s.a", cs), in[1] = tst_tensor(st, "%s.b", cs);
      gnames[0] = "ga", gnames[1] = "gb";
      n_in = 2;
      y = avs_matmul(ctx, in[0], in[1], tst_meta_int(st, "%s.ta", cs), tst_meta_int(st, "%s.tb", cs));
    }
    if (tst_true(y != NULL, "%s runs (%s)", cs, y ? "" : avs_errmsg())) {
      avs_tensor *yref = tst_tensor(st, "%s.y", cs), *gy = tst_tensor(st, "%s.gy", cs);
      char shp[2][64];
      tst_true(avs_tensor_same_shape(y, yref), "%s output shape %s (want %s)", cs,
               avs_shape_str(y->ndim, y->shape, shp[0], 64), avs_shape_str(yref->ndim, yref->shape, shp[1], 64));
      tst_close_ref(st, cs, "y", y->data, FWD_ATOL, FWD_RTOL);
      tst_true(avs_backward_from(ctx, y, gy->data) == 0, "%s backward (%s)", cs, avs_errmsg());
      for (int i = 0; i < n_in; i++) tst_close_ref(st, cs, gnames[i], in[i]->grad, GRAD_ATOL, GRAD_RTOL);
      avs_tensor_free(&yref), avs_tensor_free(&gy);
    }
    avs_ctx_reset(ctx);
    for (int i = 0; i < 3; i++) avs_tensor_free(&in[i]);
  }
  /* shape errors are reported, not crashed on */
  avs_tensor *a = avs_tensor_new(2, AVS_SHAPE(3, 4)), *b = avs_tensor_new(2, AVS_SHAPE(5, 6));
  tst_true(avs_matmul(ctx, a, b, false, false) == NULL && strstr(avs_errmsg(), "matmul"), "matmul shape error: %s",
           avs_errmsg());
  tst_true(avs_linear(ctx, a, b, NULL) == NULL && strstr(avs_errmsg(), "linear"), "linear shape error: %s",
           avs_errmsg());
  tst_true(avs_linear(ctx, NULL, b, NULL) == NULL, "NULL input propagates");
  avs_tensor_free(&a), avs_tensor_free(&b);
  avs_ctx_free(&ctx);
  avs_st_close(&st);
  return tst_finish();
}
