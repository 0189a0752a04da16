/* The audio-visual speech separation model (fusion/avspeech.h, the speech kind
 * of fusion/speech.h) against its PyTorch implementation (gen_speech.py, random
 * weights, a small size: 2 mixtures of 0.3 s = 31 STFT frames, 2 speakers with
 * 5 video frames of 16x16 mouths and a 20x20 face each):
 *   - the model file gen_speech.py wrote loads through the registry as a speech
 *     model, its hyperparameters from the metadata; the declared table equals the
 *     PyTorch state_dict, name for name and shape;
 *   - the mixture STFT from audio/stft.h (n_fft 512, window 400, hop 160) equals torch.stft;
 *   - eval mode, batch norms as ops and folded into the convolutions (through the
 *     registry): masks and the masked mixtures (each speaker's STFT);
 *   - one train-mode step (batch statistics), MSE between the masked mixtures and
 *     target STFTs: masks, loss, every parameter's gradient, the running statistics
 *     after it (float64 references);
 *   - the thresholded SNR loss (avs_speech_snr_loss) of the masked mixtures against
 *     those targets, one speaker 40 dB quieter: loss and its gradient (float64
 *     reference; 1e-4 dB, the gradient 1e-4 |g| + 1e-4 max|g|); unlike shapes refused;
 *   - save / load round trip; a model of another kind or architecture is refused
 *     with one line saying what it is; bad inputs and configurations are reported;
 *     models of 1 and 3 speakers give one mask per speaker;
 *   - the default size: parameters against PyTorch's count, the layer trace, a 1 s forward.
 * Tolerances, |got - want| <= rtol |want| + atol (max: the tensor's largest magnitude),
 * those of the other models' parity tests (tests/parity/test_action_b_common.h):
 *   STFT                                 1e-4 |x| + 1e-5 max|x|
 *   masks, masked mixtures (eval, train), loss   1e-4 |x| + 1e-4 max|x|
 *   gradients                            1e-3 |g| + 1e-4 max|g| per tensor
 *   running statistics after the step    1e-4 |x| + 1e-5 max|x|
 * the train-mode bounds each plus 4x PyTorch's own float32 deviation from float64. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audio/stft.h"
#include "fusion/avspeech.h"
#include "fusion/separation.h"
#include "fusion/speech.h"
#include "nn/model.h"
#include "nn/trace.h"
#include "tests/parity/test_action_b_common.h"

static int declare(avs_params *p, const void *cfg) { return avs_avspeech_declare(p, cfg); }

/* The model file's hyperparameters equal the reference's metadata. */
static bool same_cfg(avs_st *st, const avs_model *m) {
  char got[64];
  int n;
  const avs_hparam *hp = avs_avspeech_hparams(&n);
  bool same = m->arch == avs_arch_find("avspeech", AVS_KIND_SPEECH);
  for (int i = 0; i < n; i++) {
    avs_cfg_get(m->arch, m->cfg, hp[i].key, got, sizeof got);
    double want = tst_meta_float(st, "%s", hp[i].key);
    if (fabs(atof(got) - want) > 1e-6 * fabs(want)) {
      printf("     %s: model %s, reference %g\n", hp[i].key, got, want);
      same = false;
    }
  }
  return tst_true(same, "model file: avspeech, all %d hyperparameters as gen_speech.py's", n);
}

static void check_stft(avs_st *st) {
  avs_tensor *wave = tst_tensor(st, "wave"), *want = tst_tensor(st, "spec");
  avs_stft_cfg cfg = avs_speech_stft_cfg();
  avs_stft *s = NULL;
  int64_t n = wave->shape[1], frames = want->shape[1], per = frames * AVS_SPEECH_BINS * 2;
  float *got = malloc(sizeof(float) * (size_t)(per * wave->shape[0]));
  AVS_ASSERT(got);
  int rc = avs_stft_new(&cfg, &s);
  if (tst_true(!rc && avs_stft_bins(s) == AVS_SPEECH_BINS && avs_stft_frames(s, n) == frames,
               "speech STFT: 257 bins, %lld frames for %lld samples", (long long)frames, (long long)n)) {
    for (int64_t i = 0; !rc && i < wave->shape[0]; i++) rc = avs_stft_forward(s, wave->data + i * n, n, got + i * per);
    if (tst_true(!rc, "STFT of the mixtures: %s", rc ? avs_errmsg() : "ok"))
      ab_close("mixture STFT (audio/stft.c) against torch.stft", got, want->data, want->numel, 1e-4, 1e-5);
  }
  avs_stft_free(&s);
  free(got);
  avs_tensor_free(&wave), avs_tensor_free(&want);
}

typedef struct {
  const avs_model *m;
  avs_tensor *spec, *mouths, *faces, *masks, *sources;
} eval_arg;

static void eval_outputs(avs_ctx *ctx, bool folded, void *arg) {
  eval_arg *e = arg;
  /* unfolded: the architecture's forward as is; folded: through the registry, which folds */
  avs_tensor *masks = folded ? avs_speech_model_forward(ctx, e->m, e->spec, e->mouths, e->faces)
                             : avs_avspeech_forward(ctx, &e->m->params, e->m->cfg, e->spec, e->mouths, e->faces);
  avs_tensor *sources = avs_speech_apply_masks(ctx, masks, e->spec);
  const char *how = folded ? " (BN folded, registry)" : "";
  char what[96];
  snprintf(what, sizeof what, "eval masks%s", how);
  if (tst_true(masks && masks->numel == e->masks->numel, "%s: %s", what, masks ? "computed" : avs_errmsg()))
    ab_close(what, masks->data, e->masks->data, e->masks->numel, 1e-4, 1e-4);
  snprintf(what, sizeof what, "eval masked mixtures%s", how);
  if (tst_true(sources && sources->numel == e->sources->numel, "%s: %s", what, sources ? "computed" : avs_errmsg()))
    ab_close(what, sources->data, e->sources->data, e->sources->numel, 1e-4, 1e-4);
}

static void check_eval(avs_st *st, const avs_model *m) {
  eval_arg e = {m, tst_input(st, "spec"), tst_input(st, "mouths"), tst_input(st, "faces"),
                tst_tensor(st, "eval.masks"), tst_tensor(st, "eval.sources")};
  ab_eval_modes(eval_outputs, &e);
  tst_input_free(&e.spec), tst_input_free(&e.mouths), tst_input_free(&e.faces);
  avs_tensor_free(&e.masks), avs_tensor_free(&e.sources);
}

static void check_train(avs_st *st, avs_model *m) {
  ab_model abm = {"avspeech", declare, NULL, m->cfg};
  avs_tensor *spec = tst_input(st, "spec"), *mouths = tst_input(st, "mouths"), *faces = tst_input(st, "faces");
  avs_tensor *target = tst_input(st, "train.target");
  avs_tensor *want = tst_tensor(st, "train.masks"), *want_loss = tst_tensor(st, "train.loss");
  avs_ctx *ctx = ac_train_ctx();
  AVS_ASSERT(ctx);
  for (int i = 0; i < m->params.n; i++) avs_tensor_zero_grad(m->params.t[i]);
  avs_tensor *masks = avs_avspeech_forward(ctx, &m->params, m->cfg, spec, mouths, faces);
  avs_tensor *loss = avs_mse_loss(ctx, avs_speech_apply_masks(ctx, masks, spec), target);
  int rc = loss ? avs_backward(ctx, loss) : -1;
  if (tst_true(!rc, "avspeech train step: %s", rc ? avs_errmsg() : "ok")) {
    tst_close("avspeech train masks", masks->data, want->data, want->numel,
              ab_train_atol(st, "train.masks", want, 1e-4), 1e-4f);
    tst_close("avspeech train loss", loss->data, want_loss->data, 1, ab_train_atol(st, "train.loss", want_loss, 1e-4),
              1e-4f);
    ab_check_tensors(&abm, &m->params, st, "grad.", "after.", "parameter gradients and the buffers after the step");
  }
  avs_ctx_free(&ctx);
  tst_input_free(&spec), tst_input_free(&mouths), tst_input_free(&faces), tst_input_free(&target);
  avs_tensor_free(&want), avs_tensor_free(&want_loss);
}

/* The SNR loss and its gradient against the float64 reference: 1e-4 dB, and the gradient within
 * 1e-4 of its largest magnitude + 1e-4 relative (fp32 sums of a row's 10^4 squares, in another order). */
static void check_snr_loss(avs_st *st) {
  avs_tensor *est = tst_tensor(st, "eval.sources"), *target = tst_input(st, "train.target");
  avs_tensor *want = tst_tensor(st, "snr.loss"), *want_grad = tst_tensor(st, "snr.grad");
  avs_ctx *ctx = ac_train_ctx();
  AVS_ASSERT(ctx);
  avs_tensor_zero_grad(est);
  avs_tensor *loss = avs_speech_snr_loss(ctx, est, target, 30);
  int rc = loss ? avs_backward(ctx, loss) : -1;
  if (tst_true(!rc, "SNR loss: %s", rc ? avs_errmsg() : "ok")) {
    tst_close("SNR loss (dB)", loss->data, want->data, 1, 1e-4f, 0);
    float top = 0;
    for (int64_t i = 0; i < want_grad->numel; i++) top = fmaxf(top, fabsf(want_grad->data[i]));
    tst_close("SNR loss gradient", est->grad, want_grad->data, want_grad->numel, 1e-4f * top, 1e-4f);
  }
  avs_tensor *other = avs_reshape(ctx, target, 2, AVS_SHAPE(target->shape[0], -1));
  tst_true(!avs_speech_snr_loss(ctx, est, other, 30) && avs_errcode() == AVS_ESHAPE, "SNR loss of unlike shapes: %s",
           avs_errmsg());
  avs_ctx_free(&ctx);
  tst_input_free(&target);
  avs_tensor_free(&est), avs_tensor_free(&want), avs_tensor_free(&want_grad);
}

/* A refusal: an error, no model, and a message of one line containing `needle`. */
static void refused(int rc, const avs_model *m, const char *needle, const char *what) {
  const char *msg = avs_errmsg();
  tst_true(rc && !m && strstr(msg, needle) && !strchr(msg, '\n'), "%s: %s", what, msg);
}

static void check_registry(const avs_model *m, const char *ref) {
  char path[1024], other[1024];
  tst_beside(path, sizeof path, ref, "speech_roundtrip.safetensors");
  tst_beside(other, sizeof other, ref, "speech_xattn.safetensors");
  avs_model *back = NULL, *x = NULL;
  int rc = avs_model_save(m, path);
  if (!tst_true(!rc, "save %s: %s", path, rc ? avs_errmsg() : "ok")) return;
  rc = avs_speech_model_load(path, NULL, &back);
  if (tst_true(!rc, "load back: %s", rc ? avs_errmsg() : "ok")) {
    bool same = back->arch == m->arch && !memcmp(back->cfg, m->cfg, sizeof(avs_avspeech_cfg)) &&
                back->params.n == m->params.n;
    for (int i = 0; same && i < m->params.n; i++)
      same = !memcmp(m->params.t[i]->data, back->params.t[i]->data, sizeof(float) * m->params.t[i]->numel);
    tst_true(same, "round trip: same architecture, hyperparameters and all %d tensors", m->params.n);
    avs_speech_geometry g;
    avs_speech_model_geometry(back, &g);
    tst_true(g.speakers == 2 && g.fps == 16 && g.mouth_size == 16 && g.face_size == 20,
             "geometry: %d speakers, %d fps, mouths %d, faces %d", g.speakers, g.fps, g.mouth_size, g.face_size);
  }
  avs_model_free(&back);
  rc = avs_sep_model_load(path, NULL, &back);
  refused(rc, back, "a speech-separation model (avspeech), not a separation model", "loaded as a separation model");
  rc = avs_speech_model_load(path, "xattn", &back);
  refused(rc, back, "'avspeech', expected 'xattn'", "wanting another architecture");
  AVS_ASSERT(!avs_model_new("xattn", NULL, &x) && !avs_model_save(x, other));
  rc = avs_speech_model_load(other, NULL, &back);
  refused(rc, back, "a separation model (xattn), not a speech-separation model",
          "a separation model as a speech model");
  avs_model_free(&x);
  unlink(path), unlink(other);
}

static void check_errors(const avs_model *m) {
  const avs_avspeech_cfg *c = m->cfg;
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = false});
  avs_tensor *spec = avs_ctx_zeros(ctx, 4, AVS_SHAPE(1, 20, AVS_SPEECH_BINS, 2));
  avs_tensor *mouths = avs_ctx_zeros(ctx, 5, AVS_SHAPE(2, 4, c->mouth_size, c->mouth_size + 1, 1));
  avs_tensor *faces = avs_ctx_zeros(ctx, 4, AVS_SHAPE(2, c->face_size, c->face_size, 1));
  tst_true(!avs_speech_model_forward(ctx, m, spec, mouths, faces) && avs_errcode() == AVS_ESHAPE &&
               strstr(avs_errmsg(), "mouth crops"),
           "mouths of another size: %s", avs_errmsg());
  mouths = avs_ctx_zeros(ctx, 5, AVS_SHAPE(1, 4, c->mouth_size, c->mouth_size, 1));
  tst_true(!avs_speech_model_forward(ctx, m, spec, mouths, faces) && strstr(avs_errmsg(), "mouth crops"),
           "one speaker's mouths for two speakers: %s", avs_errmsg());
  mouths = avs_ctx_zeros(ctx, 5, AVS_SHAPE(2, 4, c->mouth_size, c->mouth_size, 1));
  avs_tensor *y = avs_speech_model_forward(ctx, m, spec, mouths, faces);
  tst_true(y && y->ndim == 5 && y->shape[1] == 2 && y->shape[2] == 20, "20 STFT frames over 4 video frames: %s",
           y ? "masks (1, 2, 20, 257, 2)" : avs_errmsg());
  spec = avs_ctx_zeros(ctx, 4, AVS_SHAPE(1, 20, 256, 2));
  tst_true(!avs_speech_model_forward(ctx, m, spec, mouths, faces) && strstr(avs_errmsg(), "mixture STFT"),
           "256 bins: %s", avs_errmsg());
  spec = avs_ctx_zeros(ctx, 4, AVS_SHAPE(1, 21, AVS_SPEECH_BINS, 2));
  tst_true(!avs_speech_apply_masks(ctx, y, spec) && avs_errcode() == AVS_ESHAPE, "masks on a longer mixture: %s",
           avs_errmsg());
  avs_ctx_free(&ctx);

  /* other speaker counts: one mask per speaker, the fusion layer as wide as the speakers ask */
  for (int speakers = 1; speakers <= 3; speakers += 2) {
    avs_avspeech_cfg k = *c;
    k.speakers = speakers;
    avs_model *other = NULL;
    int rc = avs_model_new("avspeech", &k, &other);
    if (!rc) rc = avs_model_init(other, 7);
    avs_ctx *x = avs_ctx_new(&(avs_ctx_params){.train = false});
    spec = avs_ctx_zeros(x, 4, AVS_SHAPE(2, 12, AVS_SPEECH_BINS, 2));
    mouths = avs_ctx_zeros(x, 5, AVS_SHAPE(2 * speakers, 2, c->mouth_size, c->mouth_size, 1));
    faces = avs_ctx_zeros(x, 4, AVS_SHAPE(2 * speakers, c->face_size, c->face_size, 1));
    y = rc ? NULL : avs_speech_model_forward(x, other, spec, mouths, faces);
    avs_tensor *fusion = other ? avs_params_find(&other->params, "fusion.weight") : NULL;
    tst_true(y && y->shape[0] == 2 && y->shape[1] == speakers && y->shape[2] == 12 && fusion &&
                 fusion->shape[1] == AVS_SPEECH_BINS * c->audio_out + speakers * (c->visual_dim + c->id_dim),
             "%d speaker(s): masks (2, %d, 12, 257, 2): %s", speakers, speakers, y ? "ok" : avs_errmsg());
    avs_ctx_free(&x);
    avs_model_free(&other);
  }

  avs_avspeech_cfg bad = *c;
  avs_params q;
  avs_params_init(&q, "avspeech");
  bad.power = 0;
  tst_true(avs_avspeech_declare(&q, &bad) == AVS_EINVAL && strstr(avs_errmsg(), "power"), "power 0: %s", avs_errmsg());
  bad = *c, bad.speakers = 9;
  tst_true(avs_avspeech_declare(&q, &bad) == AVS_EINVAL && strstr(avs_errmsg(), "speakers"), "9 speakers: %s",
           avs_errmsg());
  avs_params_free(&q);
  /* speech.h's alignment: frame t at t / 100 s sees floor(t fps / 100), the last one past the clip */
  tst_true(avs_speech_video_frame(6, 16, 5) == 0 && avs_speech_video_frame(7, 16, 5) == 1 &&
               avs_speech_video_frame(30, 16, 5) == 4 && avs_speech_video_frame(99, 16, 5) == 4 &&
               avs_speech_video_frame(100, 25, 100) == 25,
           "video frame of an STFT frame: floor(t fps / 100), clamped");
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

/* One train-mode step at the model's size: `batch` mixtures of 3 s (301 STFT frames, 48
 * video frames), MSE on the masked mixtures, backward; prints its time and arena peak. */
static void time_train_step(avs_model *m, int batch) {
  const avs_avspeech_cfg *c = m->cfg;
  avs_ctx *ctx = ac_train_ctx();
  int64_t S = c->speakers;
  avs_tensor *spec = avs_ctx_zeros(ctx, 4, AVS_SHAPE(batch, 301, AVS_SPEECH_BINS, 2));
  avs_tensor *mouths = avs_ctx_zeros(ctx, 5, AVS_SHAPE(batch * S, 48, c->mouth_size, c->mouth_size, 1));
  avs_tensor *faces = avs_ctx_zeros(ctx, 4, AVS_SHAPE(batch * S, c->face_size, c->face_size, 1));
  avs_tensor *target = avs_ctx_zeros(ctx, 5, AVS_SHAPE(batch, S, 301, AVS_SPEECH_BINS, 2));
  for (int64_t i = 0; i < spec->numel; i++) spec->data[i] = (float)((i * 7919) % 1000) / 250.0f - 2.0f;
  for (int64_t i = 0; i < target->numel; i++) target->data[i] = (float)((i * 7907) % 1000) / 500.0f - 1.0f;
  double t0 = now();
  avs_tensor *loss = avs_mse_loss(ctx, avs_speech_apply_masks(ctx, avs_avspeech_forward(ctx, &m->params, c, spec,
                                                                                        mouths, faces), spec), target);
  double t1 = now();
  int rc = loss ? avs_backward(ctx, loss) : -1;
  if (rc) printf("     train step: %s\n", avs_errmsg());
  printf("     train step, batch %d of 3 s: forward %.2f s, backward %.2f s, arena peak %.2f GB\n", batch, t1 - t0,
         now() - t1, avs_ctx_arena_peak(ctx) / 1e9);
  avs_ctx_free(&ctx);
}

/* The default size: parameters against PyTorch's, initialised as for training, one
 * traced forward of 1 s for 2 speakers (101 STFT frames, 16 video frames), timed. */
static void check_default(avs_st *st) {
  avs_model *m = NULL;
  int rc = avs_model_new("avspeech", NULL, &m);
  if (!rc) rc = avs_model_init(m, 1);
  if (!tst_true(rc == 0, "default declared and initialised: %s", rc ? avs_errmsg() : "ok")) return;
  const avs_avspeech_cfg *c = m->cfg;
  int64_t params = 0, traced = 0, macs = 0, want = tst_meta_int(st, "default.params");
  for (int i = 0; i < m->params.n; i++)
    if (m->params.t[i]->requires_grad) params += m->params.t[i]->numel;
  tst_true(params == want, "default: %lld parameters (PyTorch %lld)", (long long)params, (long long)want);
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = false});
  double best = 1e9;
  avs_layer_trace tr = {0};
  for (int r = 0; r < 2; r++) {
    avs_ctx_reset(ctx);
    avs_tensor *spec = avs_ctx_zeros(ctx, 4, AVS_SHAPE(1, 101, AVS_SPEECH_BINS, 2));
    avs_tensor *mouths = avs_ctx_zeros(ctx, 5, AVS_SHAPE(2, 16, c->mouth_size, c->mouth_size, 1));
    avs_tensor *faces = avs_ctx_zeros(ctx, 4, AVS_SHAPE(2, c->face_size, c->face_size, 1));
    for (int64_t i = 0; i < spec->numel; i++) spec->data[i] = (float)((i * 7919) % 1000) / 250.0f - 2.0f;
    for (int64_t i = 0; i < mouths->numel; i++) mouths->data[i] = (float)((i * 104729) % 1000) / 500.0f - 1.0f;
    for (int64_t i = 0; i < faces->numel; i++) faces->data[i] = (float)((i * 7907) % 1000) / 500.0f - 1.0f;
    if (!r) avs_layer_trace_start(ctx, &tr);
    double t0 = now();
    avs_tensor *y = avs_speech_model_forward(ctx, m, spec, mouths, faces);
    best = fmin(best, now() - t0);
    if (!r) {
      avs_layer_trace_stop(ctx);
      bool bounded = y != NULL;
      for (int64_t i = 0; y && i < y->numel; i++) bounded = bounded && fabsf(y->data[i]) <= c->mask_bound;
      tst_true(bounded && y->shape[1] == 2 && y->shape[2] == 101, "default forward: masks (1, 2, 101, 257, 2) within "
               "+-%g: %s", c->mask_bound, y ? "ok" : avs_errmsg());
    }
  }
  const char *table = getenv("AVS_SPEECH_TABLE");
  for (int i = 0; i < tr.n; i++) {
    const avs_layer_row *r = &tr.rows[i];
    traced += r->params, macs += r->macs;
    if (table && *table == '1') {
      char s[96];
      printf("     %-26s %-10s %-24s %9lld %12lld\n", r->name, r->kind, avs_shape_str(r->ndim, r->shape, s, sizeof s),
             (long long)r->params, (long long)r->macs);
    }
  }
  tst_true(traced == params, "default: %d trace rows cover all %lld parameters (traced %lld), %.2f G multiply-adds "
           "per second of audio", tr.n, (long long)params, (long long)traced, macs * 1e-9);
  printf("     default forward, 1 s, 2 speakers: %.1f ms (best of 2)\n", best * 1e3);
  const char *batch = getenv("AVS_SPEECH_TRAIN_BATCH"); /* optional: time a training step of 3 s mixtures */
  if (batch && atoi(batch) > 0) time_train_step(m, atoi(batch));
  avs_layer_trace_free(&tr);
  avs_ctx_free(&ctx);
  avs_model_free(&m);
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  avs_st *st = tst_open(argv[1]);
  char path[1024];
  tst_beside(path, sizeof path, argv[1], tst_meta_str(st, "model"));
  avs_model *m = NULL;
  int rc = avs_speech_model_load(path, "avspeech", &m);
  if (tst_true(!rc, "load %s through the registry: %s", path, rc ? avs_errmsg() : "ok") && same_cfg(st, m)) {
    ab_model abm = {"avspeech", declare, NULL, m->cfg};
    avs_params p;
    ab_load(&abm, &p, st);
    avs_params_free(&p);
    check_stft(st);
    check_eval(st, m);
    check_registry(m, argv[1]);
    check_errors(m);
    check_snr_loss(st);
    check_train(st, m); /* last: it moves the running statistics */
  }
  avs_model_free(&m);
  unlink(path);
  check_default(st);
  avs_st_close(&st);
  return tst_finish();
}
