/* Arithmetic and reductions against PyTorch, forward and input gradients.
 * add/sub/mul/scale are single float operations (exact up to the order of the
 * broadcast operand's gradient sum); sum and mean accumulate in double here
 * and in float in PyTorch, hence their wider tolerance. compete sums squares in
 * double here, in float there (a few float roundings on values up to 1). */
#include "tests/parity/op_cases.h"

static const oc_tol tols[] = {
    /* op     fwd atol, rtol   grad atol, rtol */
    {"add", 1e-6f, 1e-6f, 1e-5f, 1e-5f},
    {"sub", 1e-6f, 1e-6f, 1e-5f, 1e-5f},
    {"mul", 1e-6f, 1e-6f, 1e-5f, 1e-5f},
    {"scale", 1e-6f, 1e-6f, 1e-6f, 1e-6f},
    {"sum", 1e-4f, 1e-5f, 1e-6f, 1e-6f},
    {"mean", 1e-6f, 1e-5f, 1e-9f, 1e-6f},
    {"compete", 1e-6f, 1e-5f, 1e-5f, 1e-5f},
    {NULL, 0, 0, 0, 0},
};

static avs_tensor *run(avs_ctx *ctx, avs_st *st, const char *name, const char *op, avs_tensor **in, int n) {
  (void)n;
  if (!strcmp(op, "add")) return avs_add(ctx, in[0], in[1]);
  if (!strcmp(op, "sub")) return avs_sub(ctx, in[0], in[1]);
  if (!strcmp(op, "mul")) return avs_mul(ctx, in[0], in[1]);
  if (!strcmp(op, "scale")) return avs_scale(ctx, in[0], (float)tst_meta_float(st, "%s.s", name));
  if (!strcmp(op, "sum")) return avs_sum(ctx, in[0]);
  if (!strcmp(op, "mean")) return avs_mean(ctx, in[0]);
  if (!strcmp(op, "compete")) {
    avs_tensor *l = tst_tensor(st, "%s.labels", name);
    int groups[64];
    bool fits = l && l->numel == in[0]->shape[0] && l->numel <= 64;
    for (int64_t i = 0; fits && i < l->numel; i++) groups[i] = (int)l->data[i];
    avs_tensor_free(&l);
    return fits ? avs_compete(ctx, in[0], groups) : NULL;
  }
  return NULL;
}

int main(int argc, char **argv) { return oc_main(argc, argv, run, tols); }
