/* Background sources of avtrain sep --backgrounds (fusion/sep_data.h) on a
 * hand-made set: the square draw stays inside the frame, at 0.2-0.6 of its
 * shorter side, clear (at most 10 % covered) of every box, and gives up on a
 * frame a box fills; with backgrounds 1 every mixture gets one more source
 * after its objects: the crops of one of its clips' background, an all-zero
 * target and its mixture's bin weights; with backgrounds 0 the batch is the
 * one made without any background crops (the same draws, bit for bit);
 * co-separation's per-video targets and a set without background crops refuse
 * them. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "av/avs.h"
#include "fusion/sep_audio.h"
#include "fusion/sep_data.h"
#include "fusion/separation.h"
#include "fusion/xattn.h"
#include "tests/fusion/sep_fixture.h"
#include "tests/harness.h"

enum { CLIPS = SEP_FIXTURE_CLIPS };

/* Background crops of clip c: 100 (c + 1) + [0, 1), told apart from the objects' N(0, 1). */
static void add_backgrounds(avs_sep_set *s, avs_rng *rng) {
  size_t per = (size_t)s->g.frames * s->g.height * s->g.width * 3;
  s->background = calloc(CLIPS, sizeof *s->background);
  for (int c = 0; c < CLIPS; c++) {
    s->background[c] = malloc(sizeof(float) * per);
    for (size_t i = 0; i < per; i++) s->background[c][i] = 100.0f * (float)(c + 1) + avs_rng_uniform(rng);
  }
}

static float covered(const float *a, const float *b) {
  float ix = fminf(a[2], b[2]) - fmaxf(a[0], b[0]), iy = fminf(a[3], b[3]) - fmaxf(a[1], b[1]);
  return ix > 0 && iy > 0 ? ix * iy / ((a[2] - a[0]) * (a[3] - a[1])) : 0.0f;
}

static void check_square_draw(void) {
  avs_rng rng;
  avs_rng_seed(&rng, 3);
  int found = 0, good = 0;
  const int w = 160, h = 96, trials = 200;
  for (int t = 0; t < trials; t++) {
    float boxes[3][4];
    for (int k = 0; k < 3; k++) {
      float x = avs_rng_uniform(&rng) * w, y = avs_rng_uniform(&rng) * h;
      float bw = 10 + avs_rng_uniform(&rng) * 40, bh = 10 + avs_rng_uniform(&rng) * 60;
      boxes[k][0] = x, boxes[k][1] = y, boxes[k][2] = fminf(x + bw, w), boxes[k][3] = fminf(y + bh, h);
    }
    float sq[4];
    if (!avs_sep_background_square((const float(*)[4])boxes, 3, w, h, &rng, sq)) continue;
    found++;
    float side = sq[2] - sq[0];
    bool ok = fabsf(sq[3] - sq[1] - side) < 1e-3f && side >= 0.2f * h - 1e-3f && side <= 0.6f * h + 1e-3f &&
              sq[0] >= 0 && sq[1] >= 0 && sq[2] <= w + 1e-3f && sq[3] <= h + 1e-3f;
    for (int k = 0; k < 3; k++) ok = ok && covered(sq, boxes[k]) <= 0.1f;
    good += ok;
  }
  tst_true(found > trials / 2 && good == found, "square draw: %d of %d frames found one, %d inside, square, clear",
           found, trials, good);
  float whole[1][4] = {{0, 0, (float)w, (float)h}}, sq[4];
  tst_true(!avs_sep_background_square((const float(*)[4])whole, 1, w, h, &rng, sq),
           "a box over the whole frame leaves no background");
}

static bool same(const avs_tensor *a, const avs_tensor *b) {
  return a && b && a->numel == b->numel && !memcmp(a->data, b->data, sizeof(float) * (size_t)a->numel);
}

int main(void) {
  check_square_draw();

  avs_sep_geometry g;
  avs_sep_audio *fe = NULL;
  avs_model *m = NULL;
  avs_xattn_cfg cfg = avs_xattn_default_cfg();
  cfg.freq = cfg.time = 64, cfg.frames = 1, cfg.height = cfg.width = 32;
  if (avs_model_new("xattn", &cfg, &m) || avs_sep_audio_new(m, &fe)) {
    tst_true(false, "separation front end: %s", avs_errmsg());
    return tst_finish();
  }
  avs_sep_model_geometry(m, &g);
  avs_rng rng;
  avs_rng_seed(&rng, 11);
  avs_sep_set set;
  sep_fixture_make(&g, 1000, &rng, &set);
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = false});
  const int n = 3, mix = 2;

  /* Without backgrounds: the batch of a set without any, draw for draw. */
  avs_sep_batch plain, b;
  avs_rng r1, r2;
  avs_rng_seed(&r1, 5), avs_rng_seed(&r2, 5);
  int rc = avs_sep_batch_make(ctx, fe, &set, &(avs_sep_batch_opts){.mix = mix}, n, &r1, &plain);
  tst_true(!rc, "plain batch: %s", rc ? avs_errmsg() : "ok");
  tst_true(avs_sep_batch_make(ctx, fe, &set, &(avs_sep_batch_opts){.mix = mix, .backgrounds = 0.5f}, n, &r2, &b) ==
               AVS_EINVAL,
           "backgrounds on a set loaded without them refused: %s", avs_errmsg());
  add_backgrounds(&set, &rng);
  avs_rng_seed(&r2, 5);
  rc = avs_sep_batch_make(ctx, fe, &set, &(avs_sep_batch_opts){.mix = mix}, n, &r2, &b);
  tst_true(!rc && b.n_src == plain.n_src && same(b.crops, plain.crops) && same(b.target, plain.target) &&
               same(b.weight, plain.weight) && same(b.input, plain.input),
           "backgrounds 0: the same batch as a set without background crops");

  /* Backgrounds 1: one more source per mixture, after its objects. */
  avs_rng_seed(&r2, 5);
  rc = avs_sep_batch_make(ctx, fe, &set, &(avs_sep_batch_opts){.mix = mix, .backgrounds = 1}, n, &r2, &b);
  tst_true(!rc && b.n_mix == n, "batch with backgrounds: %s", rc ? avs_errmsg() : "ok");
  if (rc) return tst_finish();
  size_t plane = (size_t)g.freq * g.time, per = (size_t)g.frames * g.height * g.width * 3;
  int per_mix[8] = {0}, ordered = 1, bg_ok = 0, bgs = 0;
  for (int j = 0; j < b.n_src; j++) per_mix[b.mix_of[j]]++, ordered &= j == 0 || b.mix_of[j] >= b.mix_of[j - 1];
  for (int i = 0, j = 0; i < n; i++) {
    int last = j + per_mix[i] - 1, first = j; /* the background is the mixture's last source */
    j += per_mix[i];
    const float *crop = b.crops->data + per * last, *tg = b.target->data + plane * last;
    int c = (int)floorf(crop[0] / 100.0f) - 1; /* make-set's crops: 100 (c + 1) + [0, 1) */
    bool ok = c >= 0 && c < CLIPS && !memcmp(crop, set.background[c], sizeof(float) * per);
    for (size_t e = 0; ok && e < plane; e++) ok = tg[e] == 0.0f;
    ok = ok && !memcmp(b.weight->data + plane * last, b.weight->data + plane * first, sizeof(float) * plane);
    /* and the objects before it are the objects of the mixture's clips (crops of no background) */
    for (int q = first; ok && q < last; q++) ok = b.crops->data[per * q] < 50.0f;
    bg_ok += ok, bgs++;
  }
  tst_true(ordered && bg_ok == n,
           "each of the %d mixtures ends with one background source and has no other (%d of %d right: its clip's "
           "crops, silent target, its mixture's weights; %d sources in all)",
           n, bg_ok, bgs, b.n_src);

  tst_true(avs_sep_batch_make(ctx, fe, &set, &(avs_sep_batch_opts){.mix = mix, .videos = true, .backgrounds = 1}, n,
                              &r2, &b) == AVS_EINVAL,
           "co-separation's per-video targets refuse backgrounds: %s", avs_errmsg());
  avs_ctx_free(&ctx);
  sep_fixture_free(&set);
  avs_sep_audio_free(&fe);
  avs_model_free(&m);
  return tst_finish();
}
