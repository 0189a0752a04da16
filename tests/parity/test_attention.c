/* avs_attention and avs_mha against PyTorch (gen_attention.py, the op-case
 * runner): Lq != Lk, 2 and 4 heads, and self-attention (one tensor as q, k
 * and v, its gradient the sum of the three). Forward atol 1e-5 / rtol 1e-4,
 * gradients 1e-5 / 1e-3 (sgemm accumulation order differs from PyTorch).
 * Then bad arguments. */
#include "tests/parity/op_cases.h"

static const oc_tol tols[] = {
    {"attention", 1e-5f, 1e-4f, 1e-5f, 1e-3f},
    {"mha", 1e-5f, 1e-4f, 1e-5f, 1e-3f},
    {NULL, 0, 0, 0, 0},
};

static avs_tensor *run(avs_ctx *ctx, avs_st *st, const char *name, const char *op, avs_tensor **in, int n) {
  int heads = (int)tst_meta_int(st, "%s.heads", name);
  if (!strcmp(op, "attention")) return n == 3 ? avs_attention(ctx, in[0], in[1], in[2], heads) : NULL;
  if (strcmp(op, "mha") || (n != 5 && n != 7)) return NULL;
  avs_tensor **w = in + n - 4, *q = in[0], *k = n == 7 ? in[1] : q, *v = n == 7 ? in[2] : q;
  avs_mha_w mw = {w[0], w[1], w[2], w[3], heads};
  return avs_mha(ctx, q, k, v, &mw);
}

/* bad arguments are reported */
static void extra(avs_ctx *ctx) {
  avs_tensor *a = avs_tensor_new(3, AVS_SHAPE(1, 3, 6)), *b = avs_tensor_new(3, AVS_SHAPE(1, 4, 5));
  tst_true(avs_attention(ctx, a, a, a, 4) == NULL && strstr(avs_errmsg(), "heads"), "heads must divide E: %s",
           avs_errmsg());
  tst_true(avs_attention(ctx, a, b, b, 2) == NULL && strstr(avs_errmsg(), "attention"), "q/k mismatch: %s",
           avs_errmsg());
  avs_mha_w mw = {b, NULL, b, NULL, 2};
  tst_true(avs_mha(ctx, a, a, a, &mw) == NULL && strstr(avs_errmsg(), "in_proj_weight"), "mha weight shape: %s",
           avs_errmsg());
  avs_tensor_free(&a), avs_tensor_free(&b);
}

int main(int argc, char **argv) { return oc_run(argc, argv, &(oc_suite){.run = run, .tols = tols, .extra = extra}); }
