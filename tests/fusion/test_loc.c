/* The localizers (fusion/loc_models.h: lvs, ezvsl, senocak) against their
 * PyTorch implementations in gen_loc.py (LVS and EZ-VSL written from the papers'
 * code, Senocak et al. from the C port's description with ResNet-18 branches in
 * place of the paper's frozen VGG-16 and SoundNet features; random weights,
 * image ResNet-18 width 16, audio width 16, EZ-VSL dim 32, 128 x 128 images,
 * 257 x 64 spectrograms, a batch of 4 pairs). Each small model, converted by
 * tools/pth2st.py from a PyTorch state_dict, loads as a localization model
 * (hyperparameters from its metadata, every name and shape checked), and gives,
 * within:
 *   - the audio input, avs_loc_audio_input on the float32 waveforms against
 *     scipy.signal.spectrogram(x, rate, nperseg=512, noverlap=274) in float64,
 *     log(S + 1e-7) / 12: 1e-5 absolute (values about -1.3 .. -0.5, so S within
 *     0.012%; measured 5e-7); its geometry (bins, segments, hop, image size) as
 *     the reference's;
 *   - eval mode, the two branches before any projection or normalisation (the
 *     image trunk's map, the max-pooled audio trunk; fusion/loc_branches.h):
 *     |d| <= 1e-4 (max|want| + |want|), so that a failure below names its branch;
 *   - eval mode, (N, h, w) maps: 1e-4 of the map's largest value (widened to 3x
 *     PyTorch float32's own deviation from float64, relative to that value too,
 *     where larger; all maps here are within [0, 1], so this is within 1e-4
 *     absolute as well, and for Senocak's attention, entries about 1/64, it still
 *     means something), through avs_loc_model_forward (batch norm folded) and the
 *     task's heatmap (batch norm as an op);
 *   - a train step (train-mode batch norm, pair i = image i with audio i, the
 *     other pairs negatives; Senocak's with the reference's boxes on the grid,
 *     <case>.gt, fractional coverage for three pairs and none for one): the loss
 *     1e-4 relative, every parameter gradient as the action models'
 *     (tests/action/action_check.h: sample, norm and projection within 1e-3);
 * and the default-size model's table (width 64, audio width 64, dim 512)
 * equals PyTorch's state_dict, names and shapes, with its parameter count. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fusion/loc_branches.h"
#include "fusion/localization.h"
#include "nn/model.h"
#include "tests/action/action_check.h"
#include "tests/harness.h"

#define LOC_TOL 1e-4f
#define LOC_SPEC_TOL 1e-5f

static bool same_cfg(avs_st *st, const char *cs, const avs_model *m) {
  const avs_arch *a = m->arch;
  void *want = malloc(a->cfg_size);
  AVS_ASSERT(want);
  memcpy(want, a->cfg_default, a->cfg_size);
  const char *hp = tst_meta_str(st, "%s.hparams", cs);
  int rc = avs_cfg_parse(a, want, hp);
  bool ok = tst_true(!rc && !memcmp(want, m->cfg, a->cfg_size), "%s: hyperparameters from the file as the reference's "
                     "(%s)%s%s", cs, hp, rc ? ": " : "", rc ? avs_errmsg() : "");
  free(want);
  return ok;
}

static void check_audio(avs_st *st, const char *cs, const avs_model *m) {
  avs_loc_geometry g;
  avs_loc_model_geometry(m, &g);
  avs_tensor *wave = tst_tensor(st, "%s.wave", cs), *want = tst_tensor(st, "%s.spec", cs);
  avs_tensor *img = tst_tensor(st, "%s.images", cs);
  int64_t n = want->shape[0], bins = want->shape[1], time = want->shape[2];
  if (tst_true(g.n_fft == 512 && g.hop == 238 && g.bins == bins && g.time == time && g.samples == wave->shape[1] &&
                   g.height == img->shape[1] && g.width == img->shape[2],
               "%s geometry: %d samples at %d Hz, n_fft %d, hop %d -> %d x %d, images %d x %d (reference: %lld "
               "samples -> %lld x %lld, images %lld x %lld)",
               cs, g.samples, g.rate, g.n_fft, g.hop, g.bins, g.time, g.height, g.width, (long long)wave->shape[1],
               (long long)bins, (long long)time, (long long)img->shape[1], (long long)img->shape[2])) {
    float *got = malloc(sizeof(float) * (size_t)(n * bins * time));
    AVS_ASSERT(got);
    int rc = 0;
    for (int64_t i = 0; i < n && !rc; i++)
      rc = avs_loc_audio_input(&g, wave->data + i * wave->shape[1], got + i * bins * time);
    char what[128];
    snprintf(what, sizeof what, "%s audio input log(S + 1e-7) / 12 against scipy (float64)", cs);
    if (tst_true(!rc, "%s audio input: %s", cs, rc ? avs_errmsg() : "computed"))
      tst_close(what, got, want->data, want->numel, LOC_SPEC_TOL, 0);
    free(got);
  }
  avs_tensor_free(&wave), avs_tensor_free(&want), avs_tensor_free(&img);
}

/* got against the stored reference: |d| <= tol (max|want| + |want|). */
static void close_scaled(avs_st *st, const char *cs, const char *what, const avs_tensor *got, float tol) {
  avs_tensor *want = tst_tensor(st, "%s.%s", cs, what);
  float amax = 0;
  for (int64_t i = 0; i < want->numel; i++) amax = fmaxf(amax, fabsf(want->data[i]));
  bool same = got && got->ndim == want->ndim;
  for (int d = 0; same && d < want->ndim; d++) same = got->shape[d] == want->shape[d];
  char label[128];
  snprintf(label, sizeof label, "%s %s (%s)", cs, what,
           !strcmp(what, "eval_img") ? "image trunk's map" : "max-pooled audio trunk");
  if (tst_true(same, "%s: %s", label,
               !got ? avs_errmsg() : same ? "shape as PyTorch's" : "shape differs from PyTorch's"))
    tst_close(label, got->data, want->data, want->numel, tol * amax, tol);
  avs_tensor_free(&want);
}

/* The branches (fusion/loc_branches.h), eval mode, batch norm unfolded. */
static void check_branches(avs_st *st, const char *cs, const avs_model *m) {
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = false});
  avs_tensor *images = ac_input(st, cs, "images"), *spec = ac_input(st, cs, "spec");
  /* layer4 with stride 1: both of LVS's trunks, Senocak's image trunk only */
  bool lvs = !strcmp(m->arch->name, "lvs"), img16 = lvs || !strcmp(m->arch->name, "senocak");
  close_scaled(st, cs, "eval_img", avs_loc_image_map(ctx, &m->params, m->cfg, img16, images), LOC_TOL);
  close_scaled(st, cs, "eval_aud", avs_loc_audio_vector(ctx, &m->params, m->cfg, lvs, spec), LOC_TOL);
  tst_input_free(&images), tst_input_free(&spec);
  avs_ctx_free(&ctx);
}

static void check_eval(avs_st *st, const char *cs, const avs_model *m) {
  const avs_loc_task *task = avs_loc_task_of(m->arch);
  avs_tensor *images = ac_input(st, cs, "images"), *spec = ac_input(st, cs, "spec");
  avs_tensor *want = tst_tensor(st, "%s.eval_map", cs), *dev = tst_tensor(st, "%s.eval_dev", cs);
  /* relative to the map's largest value, as the deviation: Senocak's attention sums to 1 over the grid
   * (entries about 1 / (h w)), where 1e-4 absolute would pass errors of a percent */
  float tol = fmaxf(LOC_TOL, 3.0f * dev->data[0]), amax = 0;
  for (int64_t i = 0; i < want->numel; i++) amax = fmaxf(amax, fabsf(want->data[i]));
  int h = 0, w = 0;
  task->grid(m->cfg, &h, &w);
  tst_true(want->ndim == 3 && h == want->shape[1] && w == want->shape[2], "%s grid %d x %d (PyTorch %lld x %lld)", cs,
           h, w, (long long)want->shape[1], (long long)want->shape[2]);
  for (int folded = 1; folded >= 0; folded--) {
    avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = false});
    avs_tensor *y = folded ? avs_loc_model_forward(ctx, m, images, spec)
                           : task->heatmap(ctx, &m->params, m->cfg, images, spec);
    char what[160];
    snprintf(what, sizeof what, "%s eval maps, %s (PyTorch float32 %.1e off float64; bound %.1e x max %.3g)", cs,
             folded ? "avs_loc_model_forward" : "task heatmap, batch norm unfolded", dev->data[0], tol, amax);
    if (tst_true(y && y->numel == want->numel, "%s: %s", what, y ? "computed" : avs_errmsg()))
      tst_close(what, y->data, want->data, want->numel, tol * amax, 0);
    avs_ctx_free(&ctx);
  }
  tst_input_free(&images), tst_input_free(&spec), avs_tensor_free(&want), avs_tensor_free(&dev);
}

static void check_train(avs_st *st, const char *cs, avs_model *m) {
  const avs_loc_task *task = avs_loc_task_of(m->arch);
  avs_ctx *ctx = ac_train_ctx();
  avs_tensor *images = ac_input(st, cs, "images"), *spec = ac_input(st, cs, "spec");
  /* the boxes on the map's grid (N, h, w), for the objectives that use them */
  avs_tensor *gt = task->uses_boxes && tst_has(st, "%s.gt", cs) ? tst_tensor(st, "%s.gt", cs) : NULL;
  avs_tensor *silent = gt && tst_has(st, "%s.silent", cs) ? tst_tensor(st, "%s.silent", cs) : NULL;
  int h = 0, w = 0;
  task->grid(m->cfg, &h, &w);
  bool gt_ok = !task->uses_boxes || (gt && gt->ndim == 3 && gt->shape[0] == images->shape[0] && gt->shape[1] == h &&
                                     gt->shape[2] == w && (!silent || silent->numel == gt->numel));
  if (task->uses_boxes)
    tst_true(gt_ok, "%s train step: boxes on the %d x %d grid for the batch of %lld (%s)", cs, h, w,
             (long long)images->shape[0], gt ? "reference's gt" : "no gt in the reference");
  avs_loc_targets targets = {gt ? gt->data : NULL, silent ? silent->data : NULL};
  avs_tensor *loss = gt_ok ? task->loss(ctx, &m->params, m->cfg, images, spec, gt ? &targets : NULL) : NULL;
  int rc = loss ? avs_backward(ctx, loss) : -1;
  if (gt_ok &&
      tst_true(loss && !rc, "%s train forward + backward: %s", cs, loss && !rc ? "done" : avs_errmsg())) {
    avs_tensor *want = tst_tensor(st, "%s.train_loss", cs);
    char what[96];
    snprintf(what, sizeof what, "%s train loss %.6f (PyTorch %.6f)", cs, loss->data[0], want->data[0]);
    tst_close(what, loss->data, want->data, 1, 0, LOC_TOL);
    avs_tensor_free(&want);
    ac_check_grads(st, cs, &m->params);
  }
  tst_input_free(&images), tst_input_free(&spec), avs_tensor_free(&gt), avs_tensor_free(&silent);
  avs_ctx_free(&ctx);
}

static void check_default(avs_st *st, const char *cs) {
  avs_model *m = NULL;
  int rc = avs_model_new(cs, NULL, &m);
  if (tst_true(!rc, "%s default model: %s", cs, rc ? avs_errmsg() : "declared") &&
      ac_table(cs, &m->params, tst_meta_str(st, "%s.default_table", cs))) {
    int n = 0;
    avs_tensor **t = avs_model_trainable(m, &n);
    int64_t count = 0;
    for (int i = 0; i < n; i++) count += t[i]->numel;
    free(t);
    long want = tst_meta_int(st, "%s.default_params", cs);
    tst_true(count == want, "%s default size: %.2f M parameters (PyTorch %ld)", cs, count / 1e6, want);
  }
  avs_model_free(&m);
}

static void check_case(avs_st *st, const char *ref, const char *cs) {
  char path[1024];
  tst_beside(path, sizeof path, ref, tst_meta_str(st, "%s.model", cs));
  avs_model *m = NULL;
  int rc = avs_model_load(path, AVS_KIND_LOCALIZATION, tst_meta_str(st, "%s.arch", cs), NULL, &m);
  if (tst_true(!rc, "%s: converted model %s: %s", cs, path, rc ? avs_errmsg() : "loaded, tensors checked") &&
      same_cfg(st, cs, m)) {
    check_audio(st, cs, m);
    check_branches(st, cs, m);
    check_eval(st, cs, m);
    check_train(st, cs, m);
  }
  avs_model_free(&m);
  unlink(path);
  check_default(st, cs);
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  avs_st *st = tst_open(argv[1]);
  char *cases = strdup(tst_meta_str(st, "cases"));
  for (char *save = NULL, *cs = strtok_r(cases, ",", &save); cs; cs = strtok_r(NULL, ",", &save))
    check_case(st, argv[1], cs);
  free(cases);
  avs_st_close(&st);
  return tst_finish();
}
