/* Co-Separation (fusion/cosep.h) against the PyTorch implementation of
 * gen_cosep.py. Each case's three .pth checkpoints, merged by tools/pth2st.py
 * --arch cosep, load through the model registry (hyperparameters from the
 * file's metadata, every name and shape checked) and give, within:
 *   - the targets: ratio masks clamp(src / mix, 0, 5) and loss weights
 *     clamp(log1p(mix), 1e-3, 10), 1e-6 relative;
 *   - eval mode: visual vectors, class logits |d| <= 1e-4 (max|x| + |want|); mask
 *     logits the same with the bound widened to 3x PyTorch float32's own
 *     deviation from float64 where larger, both directly and through the
 *     separation kind (avs_sep_model_forward, batch norms folded); masks 1e-4 absolute;
 *   - a train step (train-mode batch norm; five objects of four videos in
 *     two mixtures, the U-Net's encoder once per mixture as the reference
 *     also runs it): masks 1e-4 absolute, class logits as in eval, the co-separation
 *     loss (weighted L1; unweighted L1 and weighted L2 on the same masks), the
 *     cross-entropy and their sum coseparation + 0.5 cross-entropy 1e-4 relative,
 *     every parameter gradient 1e-3 relative as the action models'
 *     (tests/action/action_check.h: sample, norm, projection), those zero in exact
 *     arithmetic (conv biases before batch norms) below 1e-6 of the largest norm;
 * the cases with the NMF prior and with its gate (not the paper's) the same way;
 * the default, README (conv1x1) and CPU-sized tables equal PyTorch's state_dicts,
 * with their parameter counts; bad configurations and inputs are refused. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fusion/cosep.h"
#include "fusion/separation.h"
#include "nn/model.h"
#include "tests/action/action_check.h"
#include "tests/harness.h"

#define COSEP_TOL 1e-4f
#define CLASS_WEIGHT 0.5f

/* Five objects of two mixtures (gen_cosep.py): their mixtures, videos and classes; each video's mixture. */
static const int mix_of[] = {0, 0, 0, 1, 1}, video_of[] = {0, 1, 1, 2, 3}, labels[] = {2, 0, 4, 1, 3};
static const int video_mix[] = {0, 0, 1, 1};
/* A gradient that is zero in exact arithmetic (the bias of a conv before a
 * train-mode batch norm, whose mean subtraction removes it) holds float32
 * rounding: its norm must stay below this fraction of the largest gradient
 * norm. oneDNN sums it in another order than PyTorch, so it is no fixed
 * multiple of PyTorch's own rounding (measured: up to 22x PyTorch float32's
 * norm, 3.5e-8 of the largest); a bias gradient computed wrongly is of the
 * largest's order. */
#define COSEP_ZERO_GRAD 1e-6

/* got against the stored reference: |d| <= tol (max|want| + |want|). */
static void close_scaled(avs_st *st, const char *cs, const char *what, const avs_tensor *got, float tol) {
  avs_tensor *want = tst_tensor(st, "%s.%s", cs, what);
  float amax = 0;
  for (int64_t i = 0; i < want->numel; i++) amax = fmaxf(amax, fabsf(want->data[i]));
  char name[96];
  snprintf(name, sizeof name, "%s %s", cs, what);
  if (tst_true(got && got->numel == want->numel, "%s: %s", name, got ? "computed" : avs_errmsg()))
    tst_close(name, got->data, want->data, want->numel, tol * amax, tol);
  avs_tensor_free(&want);
}

static void close_scalar(avs_st *st, const char *cs, const char *what, const avs_tensor *got) {
  tst_close_ref(st, cs, what, got ? got->data : NULL, 0, COSEP_TOL);
}

static void check_targets(avs_st *st, const char *cs) {
  avs_tensor *mix = tst_tensor(st, "%s.mixes", cs), *src = tst_tensor(st, "%s.src", cs);
  avs_tensor *gt = tst_tensor(st, "%s.gt", cs), *w = tst_tensor(st, "%s.weight", cs);
  int64_t n = mix->shape[1] * mix->shape[2];
  for (int v = 0; v < 4; v++) {
    avs_cosep_ratio_mask(src->data + v * n, mix->data + video_mix[v] * n, n, gt->data + v * n);
    avs_cosep_loss_weight(mix->data + video_mix[v] * n, n, w->data + v * n);
  }
  tst_close_ref(st, cs, "gt", gt->data, 0, 1e-6f);
  tst_close_ref(st, cs, "weight", w->data, 0, 1e-6f);
  avs_tensor_free(&mix), avs_tensor_free(&src), avs_tensor_free(&gt), avs_tensor_free(&w);
}

/* x's rows of the two mixtures (objects 0 and 3, mix_of's first of each). */
static avs_tensor *mixture_rows(avs_ctx *ctx, avs_tensor *x) {
  return avs_concat(ctx, 2, (avs_tensor *[]){avs_slice(ctx, x, 0, 0, 1, 1), avs_slice(ctx, x, 0, 3, 4, 1)}, 0);
}

static void check_eval(avs_st *st, const char *cs, const avs_model *m) {
  const avs_cosep_cfg *cfg = m->cfg;
  const avs_params *p = &m->params;
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = false});
  avs_tensor *x = tst_input(st, "%s.x", cs), *crops = tst_input(st, "%s.crops", cs);
  avs_tensor *mix = tst_input(st, "%s.mix", cs), *dev = tst_tensor(st, "%s.eval_dev", cs);
  float tol = fmaxf(COSEP_TOL, 3.0f * dev->data[0]);
  printf("     %s eval: PyTorch float32 mask logits %.1e off float64; bound %.1e\n", cs, dev->data[0], tol);
  avs_tensor *vis = avs_cosep_visual(ctx, p, cfg, crops);
  close_scaled(st, cs, "eval_vis", vis, COSEP_TOL);
  avs_tensor *logits = avs_cosep_logits(ctx, p, cfg, x, NULL, vis, NULL);
  close_scaled(st, cs, "eval_logits", logits, tol);
  avs_tensor *masks = avs_cosep_masks(ctx, p, cfg, x, NULL, crops);
  tst_close_ref(st, cs, "eval_masks", masks ? masks->data : NULL, COSEP_TOL, 0);
  close_scaled(st, cs, "eval_classes", avs_cosep_classify(ctx, p, cfg, mix, masks), COSEP_TOL);

  /* the separation kind: the two mixtures once each (the encoder once per mixture), the objects' crops as
   * clips of one frame */
  avs_tensor *mixtures = mixture_rows(ctx, x);
  avs_tensor *clips = avs_reshape(ctx, crops, 5, AVS_SHAPE(crops->shape[0], 1, cfg->crop, cfg->crop, 3));
  close_scaled(st, cs, "eval_logits", avs_sep_model_forward(ctx, m, mixtures, clips, mix_of), tol);
  tst_input_free(&x), tst_input_free(&crops), tst_input_free(&mix), avs_tensor_free(&dev);
  avs_ctx_free(&ctx);
}

/* ac_check_grads with COSEP_ZERO_GRAD's bound for the gradients that are zero up to rounding. */
static void check_grads(avs_st *st, const char *cs, const avs_params *p) {
  char *names = strdup(tst_meta_str(st, "%s.params", cs)), why[320] = "";
  avs_tensor *dev = tst_tensor(st, "%s.train_dev", cs), *top = tst_tensor(st, "%s.grad_top", cs);
  double tol = fmax(AC_GRAD_TOL, DEV_FACTOR * dev->data[0]), worst = 0, worst_zero = 0;
  int n = 0, bad = 0, zeros = 0;
  for (char *save = NULL, *e = strtok_r(names, ",", &save); e; e = strtok_r(NULL, ",", &save), n++) {
    avs_tensor *t = avs_params_find(p, e);
    char w[320];
    bool ok = t && t->grad;
    if (!ok) snprintf(w, sizeof w, "%s has no gradient", e);
    if (ok && tst_has(st, "%s.g.%s.round", cs, e)) {
      double norm = 0;
      for (int64_t i = 0; i < t->numel; i++) norm += (double)t->grad[i] * t->grad[i];
      norm = sqrt(norm) / top->data[0];
      zeros++, worst_zero = fmax(worst_zero, norm);
      ok = norm <= COSEP_ZERO_GRAD;
      if (!ok) snprintf(w, sizeof w, "%s is zero in exact arithmetic, its norm %.2e of the largest", e, norm);
    } else if (ok) {
      ok = ac_grad(st, cs, t, tol, &worst, w, sizeof w);
    }
    if (!ok && !bad++) snprintf(why, sizeof why, "%s", w);
  }
  tst_true(!bad, "%s gradients of %d parameters (sample, norm, projection) within %.1e, worst %.2e; %d zero in "
           "exact arithmetic, norms up to %.1e of the largest (bound %.0e)%s%s", cs, n - zeros, tol, worst, zeros,
           worst_zero, COSEP_ZERO_GRAD, bad ? "; first bad: " : "", why);
  free(names);
  avs_tensor_free(&dev), avs_tensor_free(&top);
}

static void check_train(avs_st *st, const char *cs, const avs_model *m) {
  const avs_cosep_cfg *cfg = m->cfg;
  const avs_params *p = &m->params;
  avs_ctx *ctx = ac_train_ctx();
  avs_tensor *x = tst_input(st, "%s.x", cs), *crops = tst_input(st, "%s.crops", cs);
  avs_tensor *mix = tst_input(st, "%s.mix", cs), *gt = tst_input(st, "%s.gt", cs);
  avs_tensor *w = tst_input(st, "%s.weight", cs);
  avs_tensor *masks = avs_cosep_masks(ctx, p, cfg, mixture_rows(ctx, x), mix_of, crops);
  avs_tensor *classes = avs_cosep_classify(ctx, p, cfg, mix, masks);
  avs_tensor *cosep = avs_cosep_coseparation_loss(ctx, masks, video_of, gt, w, AVS_COSEP_L1);
  avs_tensor *ce = avs_cosep_consistency_loss(ctx, classes, labels);
  avs_tensor *loss = avs_add(ctx, cosep, avs_scale(ctx, ce, CLASS_WEIGHT));
  int rc = loss ? avs_backward(ctx, loss) : -1;
  if (tst_true(loss && !rc, "%s train forward + backward: %s", cs, loss && !rc ? "done" : avs_errmsg())) {
    tst_close_ref(st, cs, "train_masks", masks->data, COSEP_TOL, 0);
    close_scaled(st, cs, "train_classes", classes, COSEP_TOL);
    close_scalar(st, cs, "train_cosep", cosep);
    close_scalar(st, cs, "train_ce", ce);
    close_scalar(st, cs, "train_loss", loss);
    check_grads(st, cs, p);
    close_scalar(st, cs, "train_cosep_l1", avs_cosep_coseparation_loss(ctx, masks, video_of, gt, NULL, AVS_COSEP_L1));
    close_scalar(st, cs, "train_cosep_l2w", avs_cosep_coseparation_loss(ctx, masks, video_of, gt, w, AVS_COSEP_L2));
  }
  tst_input_free(&x), tst_input_free(&crops), tst_input_free(&mix), tst_input_free(&gt), tst_input_free(&w);
  avs_ctx_free(&ctx);
}

/* Field by field: the struct's padding after `conv1x1` is not part of the value. */
static bool same_cfg(const avs_cosep_cfg *a, const avs_cosep_cfg *b) {
  return a->ngf == b->ngf && a->downs == b->downs && a->visual_width == b->visual_width && a->conv1x1 == b->conv1x1 &&
         a->visual_dim == b->visual_dim && a->crop == b->crop && a->classes == b->classes &&
         a->classifier_width == b->classifier_width && a->freq == b->freq && a->time == b->time && a->nmf == b->nmf &&
         a->nmf_components == b->nmf_components && a->nmf_iters == b->nmf_iters && a->prior_gate == b->prior_gate;
}

static void run_case(avs_st *st, const char *ref, const char *cs) {
  char path[1024];
  tst_beside(path, sizeof path, ref, tst_meta_str(st, "%s.model", cs));
  avs_model *m = NULL;
  int rc = avs_model_load(path, AVS_KIND_SEPARATION, "cosep", NULL, &m);
  if (tst_true(!rc, "%s converted model: %s", cs, rc ? avs_errmsg() : "loaded, every tensor checked")) {
    avs_cosep_cfg want;
    avs_cosep_cfg_default(&want);
    rc = avs_cfg_parse(m->arch, &want, tst_meta_str(st, "%s.hparams", cs));
    if (tst_true(!rc && same_cfg(&want, m->cfg), "%s hyperparameters from the file as the reference's (%s)",
                 cs, tst_meta_str(st, "%s.hparams", cs))) {
      check_targets(st, cs);
      check_eval(st, cs, m);
      check_train(st, cs, m);
    }
  }
  avs_model_free(&m);
  unlink(path);
}

/* Trainable values of the tensors whose names start with prefix. */
static int64_t count(const avs_params *p, const char *prefix) {
  int64_t total = 0;
  for (int i = 0; i < p->n; i++)
    if (p->t[i]->requires_grad && !strncmp(p->t[i]->name, prefix, strlen(prefix))) total += p->t[i]->numel;
  return total;
}

static void check_size(avs_st *st, const char *name, const avs_cosep_cfg *cfg) {
  avs_params p;
  avs_params_init(&p, "cosep");
  int rc = avs_cosep_declare(&p, cfg);
  if (tst_true(!rc, "%s model declared: %s", name, rc ? avs_errmsg() : "ok") &&
      ac_table(name, &p, tst_meta_str(st, "%s.table", name))) {
    static const char *const parts[] = {"visual", "unet", "classifier"};
    int64_t got[3] = {count(&p, "net_visual."), count(&p, "net_unet."), count(&p, "net_classifier.")};
    long want[3];
    for (int i = 0; i < 3; i++) want[i] = tst_meta_int(st, "%s.%s_params", name, parts[i]);
    tst_true(got[0] == want[0] && got[1] == want[1] && got[2] == want[2],
             "%s parameters: visual %.2f M, U-Net %.2f M, classifier %.2f M, total %.2f M (PyTorch %ld, %ld, %ld)",
             name, got[0] / 1e6, got[1] / 1e6, got[2] / 1e6, (got[0] + got[1] + got[2]) / 1e6, want[0], want[1],
             want[2]);
  }
  avs_params_free(&p);
}

static void check_sizes(avs_st *st) {
  avs_cosep_cfg c;
  avs_cosep_cfg_default(&c);
  check_size(st, "default", &c);
  c.conv1x1 = true;
  check_size(st, "readme", &c);
  avs_cosep_cfg_default(&c);
  c.ngf = c.visual_width = c.classifier_width = 16, c.crop = 112;
  check_size(st, "cpu", &c);
}

static void check_refusals(void) {
  const avs_arch *a = avs_arch_find("cosep", AVS_KIND_SEPARATION);
  if (!tst_true(a != NULL, "cosep registered as a separation architecture: %s", a ? a->title : avs_errmsg())) return;
  avs_cosep_cfg c;
  avs_cosep_cfg_default(&c);
  tst_true(avs_cfg_set(a, &c, "downs", "9") == AVS_EINVAL, "downs 9 refused: %s", avs_errmsg());
  c.freq = 100;
  avs_params q;
  avs_params_init(&q, "cosep");
  tst_true(avs_cosep_declare(&q, &c) == AVS_EINVAL && strstr(avs_errmsg(), "freq"), "freq 100 refused: %s",
           avs_errmsg());
  avs_params_free(&q);
  avs_cosep_cfg_default(&c);
  c.prior_gate = true;
  avs_params_init(&q, "cosep");
  tst_true(avs_cosep_declare(&q, &c) == AVS_EINVAL && strstr(avs_errmsg(), "prior_gate"),
           "prior_gate without the NMF prior refused: %s", avs_errmsg());
  avs_params_free(&q);
  avs_cosep_cfg_default(&c);
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = false});
  avs_tensor *x = avs_ctx_tensor(ctx, 4, AVS_SHAPE(1, 96, 128, 1)), *vis = avs_ctx_tensor(ctx, 2, AVS_SHAPE(1, 512));
  avs_params_init(&q, "cosep");
  tst_true(!avs_cosep_unet(ctx, &q, &c, x, NULL, vis) && avs_errcode() == AVS_ESHAPE,
           "a spectrogram of 96 rows refused: %s", avs_errmsg());
  avs_tensor *masks = avs_ctx_tensor(ctx, 3, AVS_SHAPE(2, 4, 4)), *gt = avs_ctx_tensor(ctx, 3, AVS_SHAPE(2, 4, 4));
  tst_true(!avs_cosep_coseparation_loss(ctx, masks, (const int[]){0, 0}, gt, NULL, AVS_COSEP_L1) &&
               avs_errcode() == AVS_EINVAL,
           "a video without objects refused: %s", avs_errmsg());
  avs_params_free(&q);
  avs_ctx_free(&ctx);
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  avs_st *st = tst_open(argv[1]);
  char *cases = strdup(tst_meta_str(st, "cases"));
  for (char *save = NULL, *cs = strtok_r(cases, ",", &save); cs; cs = strtok_r(NULL, ",", &save))
    run_case(st, argv[1], cs);
  free(cases);
  check_sizes(st);
  check_refusals();
  avs_st_close(&st);
  return tst_finish();
}
