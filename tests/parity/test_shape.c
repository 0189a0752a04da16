/* Shape ops against PyTorch: pure copies, so forward and gradients are exact, but for rows, which
 * repeats rows: the gradients of a repeated row add up (up to five N(0, 1) terms here) in an order
 * torch need not share, which moves a sum by a few float32 ulps of its terms: atol 4e-6. */
#include "tests/parity/op_cases.h"

static const oc_tol tols[] = {
    {"reshape", 0, 0, 0, 0}, {"permute", 0, 0, 0, 0}, {"concat", 0, 0, 0, 0},
    {"slice", 0, 0, 0, 0},   {"pad", 0, 0, 0, 0},     {"rows", 0, 0, 4e-6f, 1e-6f}, {NULL, 0, 0, 0, 0},
};

static avs_tensor *run(avs_ctx *ctx, avs_st *st, const char *name, const char *op, avs_tensor **in, int n) {
  long v[AVS_MAX_DIMS], v2[AVS_MAX_DIMS];
  if (!strcmp(op, "reshape")) {
    int nd = oc_meta_ints(st, name, "shape", v, AVS_MAX_DIMS);
    int64_t shape[AVS_MAX_DIMS];
    for (int i = 0; i < nd; i++) shape[i] = v[i];
    return avs_reshape(ctx, in[0], nd, shape);
  }
  if (!strcmp(op, "permute")) {
    int nd = oc_meta_ints(st, name, "perm", v, AVS_MAX_DIMS), perm[AVS_MAX_DIMS];
    for (int i = 0; i < nd; i++) perm[i] = (int)v[i];
    return avs_permute(ctx, in[0], perm);
  }
  if (!strcmp(op, "concat")) return avs_concat(ctx, n, in, (int)tst_meta_int(st, "%s.dim", name));
  if (!strcmp(op, "slice"))
    return avs_slice(ctx, in[0], (int)tst_meta_int(st, "%s.dim", name), tst_meta_int(st, "%s.start", name),
                     tst_meta_int(st, "%s.end", name), tst_meta_int(st, "%s.step", name));
  if (!strcmp(op, "rows")) {
    long iv[16];
    int m = oc_meta_ints(st, name, "index", iv, 16), index[16];
    for (int i = 0; i < m; i++) index[i] = (int)iv[i];
    return avs_rows(ctx, in[0], index, m);
  }
  if (!strcmp(op, "pad")) {
    int nb = oc_meta_ints(st, name, "before", v, AVS_MAX_DIMS), na = oc_meta_ints(st, name, "after", v2, AVS_MAX_DIMS);
    int before[AVS_MAX_DIMS], after[AVS_MAX_DIMS];
    for (int i = 0; i < nb && i < na; i++) before[i] = (int)v[i], after[i] = (int)v2[i];
    return avs_pad(ctx, in[0], before, after);
  }
  return NULL;
}

int main(int argc, char **argv) { return oc_main(argc, argv, run, tols); }
