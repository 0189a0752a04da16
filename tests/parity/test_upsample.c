/* Upsampling against PyTorch's F.interpolate: nearest copies exactly (its
 * gradient sums at most a few terms); bilinear blends four values, 1e-5. */
#include "tests/parity/op_cases.h"

static const oc_tol tols[] = {
    {"upsample_nearest2d", 0, 0, 1e-6f, 1e-6f},
    {"upsample_nearest3d", 0, 0, 1e-6f, 1e-6f},
    {"upsample_bilinear2d", 1e-6f, 1e-5f, 1e-5f, 1e-5f},
    {NULL, 0, 0, 0, 0},
};

static avs_tensor *run(avs_ctx *ctx, avs_st *st, const char *name, const char *op, avs_tensor **in, int n) {
  (void)n;
  int oh = (int)tst_meta_int(st, "%s.oh", name), ow = (int)tst_meta_int(st, "%s.ow", name);
  if (!strcmp(op, "upsample_nearest2d")) return avs_upsample_nearest2d(ctx, in[0], oh, ow);
  if (!strcmp(op, "upsample_nearest3d"))
    return avs_upsample_nearest3d(ctx, in[0], (int)tst_meta_int(st, "%s.ot", name), oh, ow);
  if (!strcmp(op, "upsample_bilinear2d"))
    return avs_upsample_bilinear2d(ctx, in[0], oh, ow, tst_meta_int(st, "%s.align_corners", name) != 0);
  return NULL;
}

int main(int argc, char **argv) { return oc_main(argc, argv, run, tols); }
