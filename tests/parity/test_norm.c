/* Layer normalisation against PyTorch: forward 1e-5 relative, gradients 1e-4
 * (the gradient subtracts two row means, so values near zero carry absolute
 * rounding of the row's scale; atol covers those). */
#include "tests/parity/op_cases.h"

static const oc_tol tols[] = {
    {"layer_norm", 1e-5f, 1e-5f, 1e-5f, 1e-4f},
    {NULL, 0, 0, 0, 0},
};

static avs_tensor *run(avs_ctx *ctx, avs_st *st, const char *name, const char *op, avs_tensor **in, int n) {
  if (!strcmp(op, "layer_norm"))
    return avs_layer_norm(ctx, in[0], n > 1 ? in[1] : NULL, n > 2 ? in[2] : NULL, (float)tst_meta_float(st, "%s.eps", name));
  return NULL;
}

int main(int argc, char **argv) { return oc_main(argc, argv, run, tols); }
