/* avs_linear and avs_matmul against PyTorch (gen_matmul.py, the op-case
 * runner). Forward atol 1e-5 / rtol 1e-4, gradients 1e-5 / 1e-3: sgemm's
 * accumulation order differs from PyTorch's (MKL-DNN/OpenBLAS), so results
 * agree to a few float32 ulps of the dot products, not bit for bit. Then
 * shape errors. */
#include "tests/parity/op_cases.h"

static const oc_tol tols[] = {
    {"linear", 1e-5f, 1e-4f, 1e-5f, 1e-3f},
    {"matmul", 1e-5f, 1e-4f, 1e-5f, 1e-3f},
    {NULL, 0, 0, 0, 0},
};

static avs_tensor *run(avs_ctx *ctx, avs_st *st, const char *name, const char *op, avs_tensor **in, int n) {
  if (!strcmp(op, "linear")) return avs_linear(ctx, in[0], in[1], n > 2 ? in[2] : NULL);
  if (!strcmp(op, "matmul"))
    return avs_matmul(ctx, in[0], in[1], tst_meta_int(st, "%s.ta", name), tst_meta_int(st, "%s.tb", name));
  return NULL;
}

/* shape errors are reported, not crashed on */
static void extra(avs_ctx *ctx) {
  avs_tensor *a = avs_tensor_new(2, AVS_SHAPE(3, 4)), *b = avs_tensor_new(2, AVS_SHAPE(5, 6));
  tst_true(avs_matmul(ctx, a, b, false, false) == NULL && strstr(avs_errmsg(), "matmul"), "matmul shape error: %s",
           avs_errmsg());
  tst_true(avs_linear(ctx, a, b, NULL) == NULL && strstr(avs_errmsg(), "linear"), "linear shape error: %s",
           avs_errmsg());
  tst_true(avs_linear(ctx, NULL, b, NULL) == NULL, "NULL input propagates");
  avs_tensor_free(&a), avs_tensor_free(&b);
}

int main(int argc, char **argv) { return oc_run(argc, argv, &(oc_suite){.run = run, .tols = tols, .extra = extra}); }
