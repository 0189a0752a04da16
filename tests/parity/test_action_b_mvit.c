/* MViT parity against gen_action_b_mvit.py (SlowFast's MViT v1, random
 * weights, 4 x 32 x 32 clips): depthwise-conv pooling (width 64, 3 blocks,
 * a stage start with q pooling and the skip max pool), max and average
 * pooling (width 32, 2 heads, 2 blocks). Each: the declared table equals the
 * state_dict, eval logits, and one training step (every parameter gradient).
 * Tolerances: see test_action_b_common.h. */
#include <string.h>

#include "tests/parity/test_action_b_common.h"
#include "video/models/mvit.h"

static int declare(avs_params *p, const void *cfg) { return avs_mvit_declare(p, cfg); }
static avs_tensor *forward(avs_ctx *ctx, const avs_params *p, const void *cfg, avs_tensor *clip) {
  return avs_mvit_forward(ctx, p, cfg, clip);
}

static void check(const char *path, const char *name) {
  avs_st *st = tst_open(path);
  avs_mvit_cfg cfg = {
      .base = {.classes = (int)tst_meta_int(st, "classes"), .frames = (int)tst_meta_int(st, "frames"),
               .height = (int)tst_meta_int(st, "height"), .width = (int)tst_meta_int(st, "width")},
      .dim = (int)tst_meta_int(st, "dim"), .heads = (int)tst_meta_int(st, "heads"),
      .depth = (int)tst_meta_int(st, "depth"), .mlp_ratio = (int)tst_meta_int(st, "mlp_ratio"),
      .qkv_bias = tst_meta_int(st, "qkv_bias"), .pool_mode = (int)tst_meta_int(st, "pool_mode"),
      .kv_stride = (int)tst_meta_int(st, "kv_stride"),
      .stage = {(int)tst_meta_int(st, "stage2"), (int)tst_meta_int(st, "stage3"), (int)tst_meta_int(st, "stage4")}};
  ab_model m = {name, declare, forward, &cfg};
  avs_params p;
  if (ab_load(&m, &p, st)) {
    ab_check_eval(&m, &p, st);
    ab_check_train(&m, &p, st);
  }
  avs_params_free(&p);
  avs_st_close(&st);
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  check(argv[1], "mvit_conv");
  static const char *const modes[] = {"max", "avg"};
  for (int i = 0; i < 2; i++) {
    char path[4096];
    size_t n = strlen(argv[1]);
    AVS_ASSERT(n > 12 && n + 8 < sizeof path);
    snprintf(path, sizeof path, "%.*s_%s.safetensors", (int)(n - 12), argv[1], modes[i]);
    char name[32];
    snprintf(name, sizeof name, "mvit_%s", modes[i]);
    check(path, name);
  }
  return tst_finish();
}
