/* TimeSformer (divided space-time attention) parity against
 * gen_action_b_timesformer.py (facebookresearch/TimeSformer's vit.py, width
 * 64, 2 blocks, 4 heads, 8-pixel patches on 4 x 32 x 32 clips, random
 * weights): the declared table equals the state_dict, eval logits, and one
 * training step (logits, loss, every parameter gradient). Tolerances: see
 * test_action_b_common.h. */
#include "tests/parity/test_action_b_common.h"
#include "video/models/timesformer.h"

static int declare(avs_params *p, const void *cfg) { return avs_timesformer_declare(p, cfg); }
static avs_tensor *forward(avs_ctx *ctx, const avs_params *p, const void *cfg, avs_tensor *clip) {
  return avs_timesformer_forward(ctx, p, cfg, clip);
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  avs_st *st = tst_open(argv[1]);
  avs_timesformer_cfg cfg = {
      .base = {.classes = (int)tst_meta_int(st, "classes"), .frames = (int)tst_meta_int(st, "frames"),
               .height = (int)tst_meta_int(st, "height"), .width = (int)tst_meta_int(st, "width")},
      .patch = (int)tst_meta_int(st, "patch"), .dim = (int)tst_meta_int(st, "dim"),
      .depth = (int)tst_meta_int(st, "depth"), .heads = (int)tst_meta_int(st, "heads"),
      .mlp_ratio = (int)tst_meta_int(st, "mlp_ratio"), .qkv_bias = tst_meta_int(st, "qkv_bias")};
  ab_model m = {"timesformer", declare, forward, &cfg};
  avs_params p;
  if (ab_load(&m, &p, st)) {
    ab_check_eval(&m, &p, st);
    ab_check_train(&m, &p, st);
  }
  avs_params_free(&p);
  avs_st_close(&st);
  return tst_finish();
}
