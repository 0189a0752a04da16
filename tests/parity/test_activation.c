/* Element-wise activations and softmax against PyTorch (forward and input
 * gradient). ReLU is exact; the transcendental ones differ from PyTorch's
 * vectorised exp/tanh/erf by an ulp or two. */
#include "tests/parity/op_cases.h"

static const oc_tol tols[] = {
    /* op            fwd atol, rtol    grad atol, rtol */
    {"relu", 1e-6f, 1e-6f, 1e-6f, 1e-6f},
    {"leaky_relu", 1e-6f, 1e-6f, 1e-6f, 1e-6f},
    {"sigmoid", 1e-7f, 1e-5f, 1e-7f, 1e-5f},
    {"tanh", 1e-7f, 1e-5f, 1e-6f, 1e-5f},
    {"gelu", 1e-6f, 1e-5f, 1e-6f, 1e-5f},
    {"softmax", 1e-7f, 1e-5f, 1e-6f, 1e-4f},
    {"log_softmax", 1e-5f, 1e-5f, 1e-6f, 1e-4f},
    {NULL, 0, 0, 0, 0},
};

static avs_tensor *run(avs_ctx *ctx, avs_st *st, const char *name, const char *op, avs_tensor **in, int n) {
  (void)n;
  if (!strcmp(op, "relu")) return avs_relu(ctx, in[0]);
  if (!strcmp(op, "leaky_relu")) return avs_leaky_relu(ctx, in[0], (float)tst_meta_float(st, "%s.slope", name));
  if (!strcmp(op, "sigmoid")) return avs_sigmoid(ctx, in[0]);
  if (!strcmp(op, "tanh")) return avs_tanh(ctx, in[0]);
  if (!strcmp(op, "gelu")) return avs_gelu(ctx, in[0]);
  if (!strcmp(op, "softmax")) return avs_softmax(ctx, in[0]);
  if (!strcmp(op, "log_softmax")) return avs_log_softmax(ctx, in[0]);
  return NULL;
}

int main(int argc, char **argv) { return oc_main(argc, argv, run, tols); }
