/* I3D parity against gen_action_b_i3d.py (piergiaj/pytorch-i3d's InceptionI3d,
 * random weights): RGB stream eval logits at 9x36x44 (uneven "SAME" padding),
 * one training step at 8x32x32 with batch norms on running statistics (every
 * gradient; why not batch statistics: see the generator) and a training-mode
 * forward with batch statistics (logits, running statistics after); flow
 * stream (2 channels) eval logits at 8x32x32. Tolerances: see
 * test_action_b_common.h. */
#include <string.h>

#include "tests/parity/test_action_b_common.h"
#include "video/models/i3d.h"

static int declare(avs_params *p, const void *cfg) { return avs_i3d_declare(p, cfg); }
static avs_tensor *forward(avs_ctx *ctx, const avs_params *p, const void *cfg, avs_tensor *clip) {
  return avs_i3d_forward(ctx, p, cfg, clip);
}

static void check(const char *path, const char *name, bool train) {
  avs_st *st = tst_open(path);
  avs_i3d_cfg cfg = {.base = {.classes = (int)tst_meta_int(st, "classes")},
                     .in_channels = (int)tst_meta_int(st, "in_channels")};
  ab_model m = {name, declare, forward, &cfg};
  avs_params p;
  if (ab_load(&m, &p, st)) {
    ab_check_eval(&m, &p, st);
    if (train) {
      avs_i3d_cfg fixed = cfg;
      fixed.norm_eval = tst_meta_int(st, "norm_eval");
      ab_model mf = {name, declare, forward, &fixed};
      ab_check_train(&mf, &p, st);
      ab_check_batch_stats(&m, &p, st);
    }
  }
  avs_params_free(&p);
  avs_st_close(&st);
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  check(argv[1], "i3d_rgb", true);
  char flow[4096];
  size_t n = strlen(argv[1]);
  AVS_ASSERT(n > 12 && n + 6 < sizeof flow);
  snprintf(flow, sizeof flow, "%.*s_flow.safetensors", (int)(n - 12), argv[1]); /* beside it, "_flow" added */
  check(flow, "i3d_flow", false);
  return tst_finish();
}
