/* 2-D -> 3-D inflation and the I3D ResNet-18, against gen_action_b_inflate.py:
 *   - avs_inflate_file puts a 2-D ResNet-18 checkpoint (width 16, torchvision's
 *     names) onto the i3d_resnet18 table;
 *   - the defining property: with edge-frame temporal padding, a clip of
 *     identical frames gives the 2-D network's logits on that frame;
 *   - on a random clip the inflated network gives the logits of the same
 *     inflation (tools/inflate.py) run in PyTorch, with edge-frame and with
 *     zero temporal padding;
 *   - strictness: with non-local blocks declared, inflation fails naming a
 *     missing tensor unless allow_new, and then (the blocks start as the
 *     identity) the boring clip still gives the 2-D logits;
 *   - the I3D ResNet-18 with non-local blocks after layer2.0 and layer3.0
 *     (random weights): eval logits, a training step with batch norms on
 *     running statistics (every gradient), a forward with batch statistics.
 * Tolerances: logits 1e-4 relative + 1e-4 * max|logit| (float32 sums in other
 * orders); the rest as test_action_b_common.h. */
#include <string.h>

#include "tests/parity/test_action_b_common.h"
#include "video/models/i3d_resnet.h"
#include "video/models/inflate.h"

static int declare(avs_params *p, const void *cfg) { return avs_i3d_resnet18_declare(p, cfg); }
static avs_tensor *forward(avs_ctx *ctx, const avs_params *p, const void *cfg, avs_tensor *clip) {
  return avs_i3d_resnet18_forward(ctx, p, cfg, clip);
}

/* "<stem>.safetensors" -> "<stem><suffix>.safetensors" */
static void sibling(char *out, size_t size, const char *path, const char *suffix) {
  size_t n = strlen(path) - 12; /* without ".safetensors" */
  AVS_ASSERT(strlen(path) > 12 && n + strlen(suffix) + 13 <= size);
  memcpy(out, path, n);
  strcpy(out + n, suffix);
  strcat(out + n, ".safetensors");
}

/* Eval-mode logits of clip compared with want. */
static void check_logits(const char *what, const avs_params *p, const avs_i3d_resnet_cfg *cfg, avs_tensor *clip,
                         const avs_tensor *want) {
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = false});
  AVS_ASSERT(ctx);
  avs_tensor *y = avs_i3d_resnet18_forward(ctx, p, cfg, clip);
  if (tst_true(y && y->numel == want->numel, "%s: forward %s", what, y ? "ok" : avs_errmsg()))
    ab_close(what, y->data, want->data, want->numel, 1e-4, 1e-4);
  avs_ctx_free(&ctx);
}

/* (N, H, W, 3) -> (N, T, H, W, 3), every frame the same. */
static avs_tensor *boring_clip(const avs_tensor *frames, int t) {
  int64_t n = frames->shape[0], img = frames->numel / n;
  avs_tensor *c = avs_tensor_new(5, AVS_SHAPE(n, t, frames->shape[1], frames->shape[2], frames->shape[3]));
  AVS_ASSERT(c);
  c->requires_grad = false;
  for (int64_t i = 0; i < n; i++)
    for (int j = 0; j < t; j++) memcpy(c->data + (i * t + j) * img, frames->data + i * img, sizeof(float) * img);
  return c;
}

static void check_inflation(const char *path) {
  char path2d[4096];
  sibling(path2d, sizeof path2d, path, "_2d");
  avs_st *st = tst_open(path);
  avs_i3d_resnet_cfg cfg = {.base = {.classes = (int)tst_meta_int(st, "classes")},
                            .width = (int)tst_meta_int(st, "width"), .kt = (int)tst_meta_int(st, "kt"),
                            .stem_kt = (int)tst_meta_int(st, "stem_kt"), .replicate_time_pad = true};
  avs_tensor *frame = tst_tensor(st, "frame"), *clip = tst_tensor(st, "clip"), *want2d = tst_tensor(st, "logits2d");
  avs_tensor *boring = boring_clip(frame, (int)clip->shape[1]);
  avs_params p;
  avs_params_init(&p, "i3d_resnet18");
  int n_new = -1, rc = avs_i3d_resnet18_declare(&p, &cfg);
  if (!rc) rc = avs_inflate_file(&p, path2d, false, &n_new);
  bool ok = tst_true(!rc && !n_new, "inflate the 2-D ResNet-18 onto i3d_resnet18's %d tensors: %s", p.n,
                     rc ? avs_errmsg() : "all present");
  if (ok) {
    check_logits("identical frames vs the 2-D logits", &p, &cfg, boring, want2d);
    avs_tensor *want = tst_tensor(st, "logits3d_replicate");
    check_logits("inflated, edge-frame padding vs PyTorch", &p, &cfg, clip, want);
    avs_tensor_free(&want);
    want = tst_tensor(st, "logits3d_zeros");
    cfg.replicate_time_pad = false;
    check_logits("inflated, zero padding vs PyTorch", &p, &cfg, clip, want);
    avs_tensor_free(&want);
    cfg.replicate_time_pad = true;
  }
  avs_params_free(&p);

  /* Non-local blocks: absent from the 2-D checkpoint. */
  cfg.nonlocal = 0b100; /* after layer2.0 */
  avs_params_init(&p, "i3d_resnet18");
  AVS_ASSERT(!avs_i3d_resnet18_declare(&p, &cfg));
  rc = avs_inflate_file(&p, path2d, false, NULL);
  tst_true(rc == AVS_ENOTFOUND && strstr(avs_errmsg(), "nonlocal"), "strict inflation names the missing "
           "non-local tensor: %s", avs_errmsg());
  rc = avs_inflate_file(&p, path2d, true, &n_new);
  if (tst_true(!rc && n_new == 12, "inflation with allow_new: %d new tensors (12 expected) %s", n_new,
               rc ? avs_errmsg() : ""))
    check_logits("with an identity non-local block, identical frames vs the 2-D logits", &p, &cfg, boring, want2d);
  avs_params_free(&p);
  avs_tensor_free(&frame), avs_tensor_free(&clip), avs_tensor_free(&want2d), avs_tensor_free(&boring);
  avs_st_close(&st);
}

static void check_nonlocal_resnet(const char *path) {
  char nl_path[4096];
  sibling(nl_path, sizeof nl_path, path, "_nl");
  avs_st *st = tst_open(nl_path);
  avs_i3d_resnet_cfg cfg = {.base = {.classes = (int)tst_meta_int(st, "classes")},
                            .width = (int)tst_meta_int(st, "width"), .kt = (int)tst_meta_int(st, "kt"),
                            .stem_kt = (int)tst_meta_int(st, "stem_kt"),
                            .nonlocal = (int)tst_meta_int(st, "nonlocal_mask")};
  avs_i3d_resnet_cfg frozen = cfg;
  frozen.norm_eval = tst_meta_int(st, "norm_eval");
  ab_model m = {"i3d_resnet18_nl", declare, forward, &cfg}, mf = {"i3d_resnet18_nl", declare, forward, &frozen};
  avs_params p;
  if (ab_load(&m, &p, st)) {
    ab_check_eval(&m, &p, st);
    ab_check_train(&mf, &p, st);
    ab_check_batch_stats(&m, &p, st);
  }
  avs_params_free(&p);
  avs_st_close(&st);
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  check_inflation(argv[1]);
  check_nonlocal_resnet(argv[1]);
  return tst_finish();
}
