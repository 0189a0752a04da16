/* Speech data (fusion/speech_data.h) on the sample set data/samples/speech:
 * the mouth rule covers every mouth box the generator wrote, the set reads
 * each sounding speaker's stem and crops, the clips' own mixtures are the sum
 * of their stems, and a batch mixes two voices of two clips whose targets add
 * up to the mixture's STFT less the noise at the SNR asked. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "fusion/speech_data.h"
#include "tests/harness.h"

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = malloc((size_t)n + 1);
  if (s && fread(s, 1, (size_t)n, f) != (size_t)n) free(s), s = NULL;
  if (s) s[n] = 0;
  fclose(f);
  return s;
}

/* The fraction of each manifest mouth box inside the rule's square (the worst). */
static double worst_mouth_cover(const char *text, int *n_boxes) {
  double worst = 1;
  for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
    cJSON *clip = cJSON_Parse(line);
    if (!clip) continue;
    cJSON *ob;
    cJSON_ArrayForEach(ob, cJSON_GetObjectItem(clip, "objects")) {
      cJSON *faces = cJSON_GetObjectItem(ob, "boxes"), *mouths = cJSON_GetObjectItem(ob, "mouth_boxes");
      for (int i = 0; i < cJSON_GetArraySize(faces) && i < cJSON_GetArraySize(mouths); i++) {
        float f[4], m[4], sq[4];
        for (int j = 0; j < 4; j++)
          f[j] = (float)cJSON_GetArrayItem(cJSON_GetArrayItem(faces, i), j)->valuedouble,
          m[j] = (float)cJSON_GetArrayItem(cJSON_GetArrayItem(mouths, i), j)->valuedouble;
        avs_speech_mouth_box(f, sq);
        double ix = fmax(0, fmin(sq[2], m[2]) - fmax(sq[0], m[0])), iy = fmax(0, fmin(sq[3], m[3]) - fmax(sq[1], m[1]));
        worst = fmin(worst, ix * iy / ((m[2] - m[0]) * (m[3] - m[1])));
        (*n_boxes)++;
      }
    }
    cJSON_Delete(clip);
  }
  return worst;
}

int main(void) {
  const char *src = getenv("AVS_SOURCE_DIR") ? getenv("AVS_SOURCE_DIR") : ".";
  char dir[1024], path[1200];
  snprintf(dir, sizeof dir, "%s/data/samples/speech", src);

  /* 1. The mouth rule against the generator's mouth boxes (all of them). */
  int n_boxes = 0;
  double worst = 1;
  const char *splits[] = {"train.jsonl", "test.jsonl"};
  char *all = calloc(1, 1);
  for (int i = 0; i < 2; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, splits[i]);
    char *t = slurp(path);
    tst_true(t != NULL, "read %s", path);
    if (!t) return tst_finish();
    worst = fmin(worst, worst_mouth_cover(t, &n_boxes));
    all = realloc(all, strlen(all) + strlen(t) + 2);
    strcat(all, t);
    free(t);
  }
  printf("mouth rule: worst cover %.3f over %d mouth boxes\n", worst, n_boxes);
  tst_true(n_boxes >= 200 && worst >= 0.999, "the mouth square covers every mouth box (worst %.3f)", worst);

  /* 2. One set of both sample clips: a folder beside the test with meta.json,
   * the clips (a link) and one manifest of both. */
  mkdir("speech_data", 0755);
  snprintf(path, sizeof path, "%s/clips", dir);
  unlink("speech_data/clips");
  tst_true(symlink(path, "speech_data/clips") == 0, "link the sample clips");
  char *meta = (snprintf(path, sizeof path, "%s/meta.json", dir), slurp(path));
  FILE *f = fopen("speech_data/meta.json", "w");
  if (f && meta) fputs(meta, f), fclose(f);
  if ((f = fopen("speech_data/all.jsonl", "w"))) fputs(all, f), fclose(f);
  free(meta), free(all);

  avs_manifest *mf = NULL;
  avs_speech_set *s = NULL;
  avs_speech_geometry g = {.speakers = 2, .fps = 16, .mouth_size = 32, .face_size = 48};
  if (!tst_true(avs_manifest_load("speech_data/all.jsonl", &mf) == 0, "manifest: %s", avs_errmsg())) return tst_finish();
  if (!tst_true(avs_speech_set_load(mf, &g, NULL, NULL, &s) == 0, "set: %s", avs_errmsg())) return tst_finish();
  tst_true(s->n_clips == 2 && s->n_voices == 4 && s->frames == 64 && s->samples == 64000,
           "2 clips, 4 voices, 64 frames, 64000 samples (got %d, %d, %d, %lld)", s->n_clips, s->n_voices, s->frames,
           (long long)s->samples);
  /* avdata's mixture is the sum of its stems (gains already in the stems). */
  for (int c = 0; c < s->n_clips; c++) {
    double err = 0, e = 0;
    for (int64_t t = 0; t < s->samples; t++) {
      double sum = 0;
      for (int k = 0; k < s->count[c]; k++) sum += s->voice[s->first[c] + k].wave[t];
      err = fmax(err, fabs(sum - s->mix[c][t])), e = fmax(e, fabs(s->mix[c][t]));
    }
    tst_true(e > 0.01 && err < 2e-3 * e + 1e-4, "clip %d: mixture = sum of stems (max err %.2g of %.2g)", c, err, e);
  }
  /* Crops: the mouths move (the speaker talks), the face is not flat. */
  for (int i = 0; i < s->n_voices; i++) {
    const avs_speech_voice *v = &s->voice[i];
    double d = 0, mean = 0, var = 0;
    size_t per = (size_t)g.mouth_size * g.mouth_size, fz = (size_t)g.face_size * g.face_size;
    for (int f2 = 1; f2 < s->frames; f2++)
      for (size_t p = 0; p < per; p++) d += fabs((double)v->mouths[per * f2 + p] - v->mouths[per * (f2 - 1) + p]);
    for (size_t p = 0; p < fz; p++) mean += v->face[p] / (double)fz;
    for (size_t p = 0; p < fz; p++) var += (v->face[p] - mean) * (v->face[p] - mean) / (double)fz;
    tst_true(d / (per * (s->frames - 1)) > 1.0 && sqrt(var) > 10, "voice %d: mouths change (%.2f/px), face std %.1f", i,
             d / (per * (s->frames - 1)), sqrt(var));
  }

  /* 3. A batch: 3 mixtures of 2 s; noise-free first (targets add up), then SNR 10 dB. */
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){0});
  avs_stft *stft = NULL;
  avs_stft_cfg sc = avs_speech_stft_cfg();
  avs_stft_new(&sc, &stft);
  avs_rng rng;
  avs_rng_seed(&rng, 5);
  avs_speech_batch b;
  for (int pass = 0; pass < 2; pass++) {
    float snr = pass ? 10.0f : 200.0f;
    avs_speech_batch_opts o = {.frames = 32, .gain_db = 6, .snr_min = snr, .snr_max = snr};
    if (!tst_true(avs_speech_batch_make(ctx, stft, s, &o, 3, &rng, &b) == 0, "batch: %s", avs_errmsg())) break;
    int64_t T = b.spec->shape[1], plane = T * 257 * 2;
    tst_true(b.samples == 32000 && T == 201 && b.mouths->shape[0] == 6 && b.mouths->shape[1] == 32 &&
                 b.mouths->shape[2] == 32 && b.faces->shape[1] == 48,
             "shapes: 32000 samples, T 201, mouths (6,32,32,32,1), faces (6,48,48,1)");
    for (int i = 0; i < 3; i++) {
      double noise = 0, sig = 0;
      for (int64_t e = 0; e < plane; e++) {
        double sum = b.target->data[(2 * i) * plane + e] + b.target->data[(2 * i + 1) * plane + e];
        double r = b.spec->data[i * plane + e] - sum;
        noise += r * r, sig += sum * sum;
      }
      double got = 10 * log10(sig / fmax(noise, 1e-30));
      tst_true(pass ? fabs(got - 10) < 1.0 : got > 100, "mixture %d: speech over the rest %.1f dB (want %s)", i, got,
               pass ? "10 +- 1" : "> 100");
    }
    float lo = 1e9f, hi = -1e9f;
    for (int64_t e = 0; e < b.mouths->numel; e++)
      lo = fminf(lo, b.mouths->data[e]), hi = fmaxf(hi, b.mouths->data[e]);
    tst_true(lo >= -1.0f && hi <= 1.0f && hi - lo > 0.5f, "mouth pixels in [-1, 1] (%.2f .. %.2f)", lo, hi);
    avs_ctx_reset(ctx);
  }
  avs_stft_free(&stft);
  avs_ctx_free(&ctx);
  avs_speech_set_free(&s);
  avs_manifest_free(&mf);
  return tst_finish();
}
