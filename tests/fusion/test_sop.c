/* Sound of Pixels (fusion/sop.h) against the PyTorch implementation of
 * gen_sop.py. The small model's three .pth checkpoints, merged by
 * tools/pth2st.py --arch sop, load (hyperparameters from the file's metadata,
 * every name and shape checked) and give, within:
 *   - the input: log of the warped magnitude, 1e-5 relative + 1e-6 (float32 on both sides);
 *   - eval mode: visual vectors 1e-4; mask logits |d| <= tol (max|logit| + |want|), tol
 *     1e-4 (widened to 3x PyTorch float32's own deviation from float64 where larger);
 *     masks 1e-4 absolute; the same per pixel;
 *   - a train step (train-mode batch norm, two videos on one mixture, weighted BCE):
 *     the loss 1e-4 relative, every parameter gradient 1e-3 relative as the action
 *     models' (tests/action/action_check.h: sample, norm, projection);
 * and the default model's table equals PyTorch's state_dict, with its parameter
 * counts (sound net 30.27 M, frame net 11.32 M, synthesizer 33). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fusion/sop.h"
#include "nn/model.h"
#include "tests/action/action_check.h"
#include "tests/harness.h"

#define SOP_TOL 1e-4f

/* A descriptor carrying only the hyperparameter table, for avs_cfg_set. */
static avs_arch sop_table_arch(void) {
  avs_arch a = {.name = "sop", .cfg_size = sizeof(avs_sop_cfg)};
  a.hparams = avs_sop_hparams(&a.n_hparams);
  return a;
}

/* Hyperparameters from the file's metadata, tensors declared and loaded. */
static bool load(const char *path, avs_sop_cfg *cfg, avs_params *p) {
  avs_arch a = sop_table_arch();
  avs_sop_cfg_default(cfg);
  avs_st *f = NULL;
  int rc = avs_st_open(path, &f);
  for (int i = 0; !rc && i < a.n_hparams; i++) {
    const char *v = avs_st_meta(f, a.hparams[i].key);
    if (v) rc = avs_cfg_set(&a, cfg, a.hparams[i].key, v);
  }
  avs_st_close(&f);
  avs_params_init(p, "sop");
  if (!rc) rc = avs_sop_declare(p, cfg);
  if (!rc) rc = avs_params_load(p, path);
  return tst_true(!rc, "converted model %s: %s", path, rc ? avs_errmsg() : "hyperparameters read, tensors checked");
}

static bool same_cfg(avs_st *st, const avs_sop_cfg *cfg) {
  avs_arch a = sop_table_arch();
  avs_sop_cfg want;
  avs_sop_cfg_default(&want);
  int rc = avs_cfg_parse(&a, &want, tst_meta_str(st, "small.hparams"));
  return tst_true(!rc && !memcmp(&want, cfg, sizeof want), "hyperparameters from the file as the reference's (%s)",
                  tst_meta_str(st, "small.hparams"));
}

static void check_logmag(avs_st *st, const avs_sop_cfg *cfg) {
  avs_tensor *mag = tst_tensor(st, "small.mag"), *want = tst_tensor(st, "small.x");
  avs_tensor *got = avs_tensor_new(want->ndim, want->shape);
  int64_t n = mag->shape[0], t = mag->shape[2], out = (int64_t)cfg->freq * t;
  int rc = 0;
  for (int64_t i = 0; i < n && !rc; i++)
    rc = avs_sop_logmag(cfg, mag->data + i * AVS_SOP_BINS * t, t, got->data + i * out);
  if (tst_true(!rc, "log-frequency log magnitude: %s", rc ? avs_errmsg() : "computed"))
    tst_close("input log(warp(mag + 1e-10))", got->data, want->data, want->numel, 1e-6f, 1e-5f);
  avs_tensor_free(&mag), avs_tensor_free(&want), avs_tensor_free(&got);
}

/* got against the stored reference cs.what: |d| <= tol (max|want| + |want|). */
static void close_scaled(avs_st *st, const char *what, const avs_tensor *got, float tol) {
  avs_tensor *want = tst_tensor(st, "small.%s", what);
  float amax = 0;
  for (int64_t i = 0; i < want->numel; i++) amax = fmaxf(amax, fabsf(want->data[i]));
  if (tst_true(got && got->numel == want->numel, "%s: %s", what, got ? "computed" : avs_errmsg()))
    tst_close(what, got->data, want->data, want->numel, tol * amax, tol);
  avs_tensor_free(&want);
}

static void check_eval(avs_st *st, const avs_sop_cfg *cfg, const avs_params *p) {
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = false});
  avs_tensor *x = ac_input(st, "small", "x"), *frames = ac_input(st, "small", "eval_frames");
  avs_tensor *dev = tst_tensor(st, "small.eval_dev");
  float tol = fmaxf(SOP_TOL, 3.0f * dev->data[0]);
  printf("     eval: PyTorch float32 logits %.1e off float64; bound %.1e\n", dev->data[0], tol);
  avs_tensor *vis = avs_sop_frame_forward(ctx, p, cfg, frames);
  close_scaled(st, "eval_vis", vis, SOP_TOL);
  avs_tensor *logits = avs_sop_synth_forward(ctx, p, cfg, avs_sop_sound_forward(ctx, p, cfg, x), vis);
  close_scaled(st, "eval_logits", logits, tol);
  avs_tensor *masks = avs_sop_forward(ctx, p, cfg, x, frames);
  tst_close_ref(st, "small", "eval_masks", masks ? masks->data : NULL, SOP_TOL, 0);

  /* per pixel, sample 0 */
  avs_tensor *x0 = avs_slice(ctx, x, 0, 0, 1, 1), *frames0 = avs_slice(ctx, frames, 0, 0, 1, 1);
  avs_tensor *pix = avs_sop_frame_pixels(ctx, p, cfg, frames0);
  close_scaled(st, "eval_pix_logits", avs_sop_synth_pixels(ctx, p, cfg, avs_sop_sound_forward(ctx, p, cfg, x0), pix),
               tol);
  masks = avs_sop_forward_pixels(ctx, p, cfg, x0, frames0);
  tst_close_ref(st, "small", "eval_pix_masks", masks ? masks->data : NULL, SOP_TOL, 0);
  tst_input_free(&x), tst_input_free(&frames), avs_tensor_free(&dev);
  avs_ctx_free(&ctx);
}

static void check_train(avs_st *st, const avs_sop_cfg *cfg, const avs_params *p) {
  avs_ctx *ctx = ac_train_ctx();
  avs_tensor *in[] = {ac_input(st, "small", "x"), ac_input(st, "small", "train_frames_a"),
                      ac_input(st, "small", "train_frames_b"), ac_input(st, "small", "train_target_a"),
                      ac_input(st, "small", "train_target_b"), ac_input(st, "small", "train_weight")};
  avs_tensor *feats = avs_sop_sound_forward(ctx, p, cfg, in[0]), *loss = NULL;
  for (int v = 0; v < 2; v++) { /* each video's mask of the one mixture */
    avs_tensor *vis = avs_sop_frame_forward(ctx, p, cfg, in[1 + v]);
    avs_tensor *mask = avs_sigmoid(ctx, avs_sop_synth_forward(ctx, p, cfg, feats, vis));
    avs_tensor *l = avs_bce_loss(ctx, mask, in[3 + v], in[5]);
    loss = v ? avs_scale(ctx, avs_add(ctx, loss, l), 0.5f) : l;
  }
  int rc = loss ? avs_backward(ctx, loss) : -1;
  if (tst_true(loss && !rc, "train forward + backward: %s", loss && !rc ? "done" : avs_errmsg())) {
    tst_close_ref(st, "small", "train_loss", loss->data, 0, SOP_TOL);
    ac_check_grads(st, "small", p);
  }
  for (int i = 0; i < 6; i++) tst_input_free(&in[i]);
  avs_ctx_free(&ctx);
}

/* Trainable values of the tensors whose names start with one of the prefixes. */
static int64_t count(const avs_params *p, const char *const *prefixes, int n) {
  int64_t total = 0;
  for (int i = 0; i < p->n; i++)
    for (int j = 0; j < n; j++)
      if (p->t[i]->requires_grad && !strncmp(p->t[i]->name, prefixes[j], strlen(prefixes[j]))) {
        total += p->t[i]->numel;
        break;
      }
  return total;
}

static void check_default(avs_st *st) {
  avs_sop_cfg cfg;
  avs_sop_cfg_default(&cfg);
  avs_params p;
  avs_params_init(&p, "sop");
  int rc = avs_sop_declare(&p, &cfg);
  if (tst_true(!rc, "default model declared: %s", rc ? avs_errmsg() : "ok") &&
      ac_table("default", &p, tst_meta_str(st, "default.table"))) {
    static const char *const sound[] = {"bn0.", "unet_block."}, *const frame[] = {"features.", "fc."},
                             *const synth[] = {"scale", "bias"};
    int64_t got[3] = {count(&p, sound, 2), count(&p, frame, 2), count(&p, synth, 2)};
    long want[3] = {tst_meta_int(st, "default.sound_params"), tst_meta_int(st, "default.frame_params"),
                    tst_meta_int(st, "default.synth_params")};
    tst_true(got[0] == want[0] && got[1] == want[1] && got[2] == want[2],
             "default parameters: sound %.2f M, frame %.2f M, synthesizer %lld (PyTorch %ld, %ld, %ld)",
             got[0] / 1e6, got[1] / 1e6, (long long)got[2], want[0], want[1], want[2]);
  }
  avs_params_free(&p);
}

static void check_refusals(const avs_sop_cfg *small, const avs_params *p) {
  avs_sop_cfg c;
  avs_sop_cfg_default(&c);
  c.num_downs = 4;
  avs_params q;
  avs_params_init(&q, "sop");
  tst_true(avs_sop_declare(&q, &c) == AVS_EINVAL && strstr(avs_errmsg(), "num_downs"), "num_downs 4 refused: %s",
           avs_errmsg());
  avs_params_free(&q);
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = false});
  avs_tensor *x = avs_ctx_tensor(ctx, 4, AVS_SHAPE(1, 100, 128, 1));
  tst_true(!avs_sop_sound_forward(ctx, p, small, x) && avs_errcode() == AVS_ESHAPE,
           "a spectrogram of 100 bins refused: %s", avs_errmsg());
  avs_ctx_free(&ctx);
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  avs_st *st = tst_open(argv[1]);
  char path[1024];
  tst_beside(path, sizeof path, argv[1], tst_meta_str(st, "model"));
  avs_sop_cfg cfg;
  avs_params p;
  if (load(path, &cfg, &p) && same_cfg(st, &cfg)) {
    check_logmag(st, &cfg);
    check_eval(st, &cfg, &p);
    check_train(st, &cfg, &p);
    check_refusals(&cfg, &p);
  }
  avs_params_free(&p);
  check_default(st);
  unlink(path);
  avs_st_close(&st);
  return tst_finish();
}
