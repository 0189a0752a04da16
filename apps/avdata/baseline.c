/* avdata baseline: what separation scores mean on a data set's split.
 *
 * For every clip of the split with two or more sounding sources, from the
 * mixture's STFT (music: n_fft 1022, hop 256 as Sound of Pixels; speech:
 * n_fft 512, hop 160, window 400), resynthesized with the mixture's phase:
 *   IRM     ideal ratio mask |S_k| / sum_j |S_j|          (oracle: the ceiling)
 *   IBM     ideal binary mask, 1 where source k dominates  (oracle)
 *   NMF     audio-only NMF told the classes in the mix: a KL-NMF dictionary per
 *           class (instrument or speaker) learned from the train split's stems,
 *           activations fitted on the mixture, Wiener-like soft masks (the floor;
 *           audio/nmf.h)
 *   MIX     the mixture itself as every source's estimate (the input)
 * scored with BSS Eval v3 (SDR/SIR/SAR, as mir_eval) and SI-SDR against the
 * stems, averaged over sources then clips. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apps/avdata/avdata.h"
#include "apps/common/cli.h"
#include "apps/common/output.h"
#include "apps/common/progress.h"
#include "audio/audio_file.h"
#include "audio/mask.h"
#include "audio/metrics.h"
#include "audio/nmf.h"
#include "audio/stft.h"
#include "av/status.h"
#include "data/manifest.h"

static const char *usage =
    "Usage: avdata baseline DIR [options]\n"
    "Oracle-mask (IRM, IBM) and audio-only NMF separation scores on a split of the data\n"
    "set in DIR, with BSS Eval v3 SDR/SIR/SAR (as mir_eval) and SI-SDR, for clips with two\n"
    "or more sources. NMF learns one dictionary per class (instrument or speaker) from the\n"
    "train split's stems, then is told which classes are in each mixture.";

static const char *split = "test";
static int max_clips = 100, n_comp = 20, n_iter = 100, train_frames = 4000;
static bool json;

static const app_opt opts[] = {
    {"split", 0, APP_STRING, &split, "split to score: train, val or test", 0, 0},
    {"clips", 0, APP_INT, &max_clips, "score at most this many clips (0: all)", 0, 1000000},
    {"components", 0, APP_INT, &n_comp, "NMF components per class", 1, 200},
    {"iterations", 0, APP_INT, &n_iter, "NMF multiplicative-update iterations", 1, 10000},
    {"train-frames", 0, APP_INT, &train_frames, "STFT frames per class to learn a dictionary from", 10, 1000000},
    {"json", 0, APP_FLAG, &json, "print the result as JSON on stdout", 0, 0},
    {0},
};

#define MAX_SRC 4
#define N_GROUPS MAX_SRC /* all clips, then clips with 2, 3, 4 sources */
#define MAX_CLASSES 1000
enum { M_IRM, M_IBM, M_NMF, M_MIX, N_METHODS };
static const char *method_names[N_METHODS] = {"IRM", "IBM", "NMF", "MIX"};
static const char *method_what[N_METHODS] = {"ideal ratio mask (oracle)", "ideal binary mask (oracle)",
                                             "NMF, class dictionaries (audio only)", "mixture as estimate"};

typedef struct {
  int cls;
  const char *stem; /* resolved path */
} source;

/* A clip's sounding sources with a stem and a class (at most MAX_SRC). */
typedef struct {
  const avs_manifest_clip *c;
  int n;
  source src[MAX_SRC];
} clip;

static const char *dir;
static avs_stft *stft;
static int F; /* bins */

/* DIR/<name>.jsonl (an empty split has no clips). */
static avs_manifest *read_split(const char *name) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s.jsonl", dir, name);
  avs_manifest *m = NULL;
  int rc = avs_manifest_load_flags(path, AVS_MANIFEST_EMPTY_OK, &m);
  if (rc) app_fail_status(rc);
  return m;
}

/* m's clips with their sources (m owns the strings). */
static clip *clips_of(const avs_manifest *m) {
  clip *cs = calloc((size_t)m->n + 1, sizeof *cs);
  if (!cs) app_fail("out of memory");
  for (int i = 0; i < m->n; i++) {
    const avs_manifest_clip *c = &m->clips[i];
    if (!c->audio) app_fail("%s:%d: a clip without audio (no audio kind?)", m->path, c->line);
    cs[i].c = c;
    for (int k = 0; k < c->n_objects && cs[i].n < MAX_SRC; k++) {
      const avs_manifest_object *o = &c->objects[k];
      if (!o->stem || o->cls < 0) continue;
      if (o->cls >= MAX_CLASSES) app_fail("%s:%d: class %d out of range", m->path, c->line, o->cls);
      cs[i].src[cs[i].n++] = (source){o->cls, o->stem};
    }
  }
  return cs;
}

static avs_audio *load(const char *path) {
  avs_audio *a = NULL;
  int rc = avs_audio_read(path, &a);
  if (rc) app_fail_status(rc);
  return a;
}

/* spec (F x T x 2) of x; *T frames */
static float *spectrum(avs_stft *tf, const avs_audio *a, int64_t *T) {
  *T = avs_stft_frames(tf, a->frames);
  float *s = malloc((size_t)F * *T * 2 * sizeof(float));
  if (!s) app_fail("out of memory");
  int rc = avs_stft_forward(tf, a->data, a->frames, s);
  if (rc) app_fail_status(rc);
  return s;
}

/* Dictionary of class c from up to train_frames active frames of its train stems. */
static float *learn(int c, const clip *train, int n_train) {
  float *V = malloc((size_t)F * train_frames * sizeof(float));
  if (!V) app_fail("out of memory");
  int got = 0;
  for (int i = 0; i < n_train && got < train_frames; i++)
    for (int k = 0; k < train[i].n && got < train_frames; k++) {
      if (train[i].src[k].cls != c) continue;
      avs_audio *a = load(train[i].src[k].stem);
      int64_t T;
      float *s = spectrum(stft, a, &T);
      double top = 0;
      float *e = malloc((size_t)T * sizeof(float));
      if (!e) app_fail("out of memory");
      for (int64_t t = 0; t < T; t++) {
        double sum = 0;
        for (int f = 0; f < F; f++) {
          float re = s[((size_t)f * T + t) * 2], im = s[((size_t)f * T + t) * 2 + 1];
          sum += re * re + im * im;
        }
        e[t] = (float)sum;
        if (sum > top) top = sum;
      }
      /* V is F x train_frames row-major; fill column `got` */
      for (int64_t t = 0; t < T && got < train_frames; t++) {
        if (e[t] < 1e-3 * top) continue;
        for (int f = 0; f < F; f++) {
          float re = s[((size_t)f * T + t) * 2], im = s[((size_t)f * T + t) * 2 + 1];
          V[(size_t)f * train_frames + got] = sqrtf(re * re + im * im);
        }
        got++;
      }
      free(e);
      free(s);
      avs_audio_free(&a);
    }
  if (got < n_comp) {
    free(V);
    return NULL;
  }
  /* compact V to F x got */
  if (got < train_frames)
    for (int f = 1; f < F; f++) memmove(V + (size_t)f * got, V + (size_t)f * train_frames, (size_t)got * sizeof(float));
  float *W = malloc((size_t)F * n_comp * sizeof(float));
  if (!W) app_fail("out of memory");
  int rc = avs_nmf_learn(V, F, got, n_comp, n_iter, 1000 + (uint64_t)c, W);
  if (rc) app_fail_status(rc);
  free(V);
  return W;
}

typedef struct {
  double sdr, sir, sar, si_sdr;
  int n;
} acc;

/* Scores one clip with every method into res; false when NMF lacked a dictionary. */
static bool score_clip(const clip *c, avs_stft *tf, const float *const *dict, acc *res) {
  int rc;
  int ns = c->n;
  avs_audio *mix = load(c->c->audio), *st[MAX_SRC];
  int64_t T, n = mix->frames;
  float *X = spectrum(tf, mix, &T), *S[MAX_SRC];
  for (int k = 0; k < ns; k++) {
    st[k] = load(c->src[k].stem);
    if (st[k]->frames != n) app_fail("%s: a stem's length differs from the mixture's", c->c->id);
    S[k] = spectrum(tf, st[k], &T);
  }
  size_t ft = (size_t)F * T;
  float *mag = malloc(ft * ns * sizeof(float)), *mask = malloc(ft * ns * sizeof(float));
  float *Y = malloc(ft * 2 * sizeof(float)), *est[N_METHODS][MAX_SRC];
  if (!mag || !mask || !Y) app_fail("out of memory");
  for (int k = 0; k < ns; k++)
    for (size_t q = 0; q < ft; q++) mag[k * ft + q] = hypotf(S[k][2 * q], S[k][2 * q + 1]);
  bool have_nmf = true;
  for (int k = 0; k < ns; k++) have_nmf &= dict[c->src[k].cls] != NULL;
  for (int m = 0; m < N_METHODS; m++) {
    if (m == M_NMF && !have_nmf) continue;
    if (m == M_IRM) {
      avs_mask_share(mag, ns, (int64_t)ft, mask);
    } else if (m == M_IBM) {
      avs_mask_dominant(mag, ns, (int64_t)ft, mask);
    } else if (m == M_NMF) {
      const float *W[MAX_SRC];
      for (int k = 0; k < ns; k++) W[k] = dict[c->src[k].cls];
      float *V = malloc(ft * sizeof(float));
      if (!V) app_fail("out of memory");
      for (size_t q = 0; q < ft; q++) V[q] = hypotf(X[2 * q], X[2 * q + 1]);
      if ((rc = avs_nmf_separate(V, F, (int)T, W, ns, n_comp, n_iter, 7, mask))) app_fail_status(rc);
      free(V);
    }
    for (int k = 0; k < ns; k++) {
      if (!(est[m][k] = malloc((size_t)n * sizeof(float)))) app_fail("out of memory");
      if (m == M_MIX) {
        memcpy(est[m][k], mix->data, (size_t)n * sizeof(float));
        continue;
      }
      for (size_t q = 0; q < ft; q++) {
        Y[2 * q] = mask[k * ft + q] * X[2 * q];
        Y[2 * q + 1] = mask[k * ft + q] * X[2 * q + 1];
      }
      if ((rc = avs_stft_inverse(tf, Y, T, n, est[m][k]))) app_fail_status(rc);
    }
    const float *refs[MAX_SRC], *ests[MAX_SRC];
    for (int k = 0; k < ns; k++) refs[k] = st[k]->data, ests[k] = est[m][k];
    avs_bss_result br[MAX_SRC];
    if ((rc = avs_metrics_bss_eval(refs, ests, ns, n, false, br))) app_fail_status(rc);
    double sdr = 0, sir = 0, sar = 0, si = 0;
    for (int k = 0; k < ns; k++) {
      sdr += br[k].sdr, sir += br[k].sir, sar += br[k].sar;
      si += avs_metrics_si_sdr(refs[k], ests[k], n, true);
    }
    for (int grp = 0; grp < 2; grp++) { /* all clips, and clips with ns sources */
      acc *r = &res[(grp ? ns - 1 : 0) * N_METHODS + m];
      r->sdr += sdr / ns, r->sir += sir / ns, r->sar += sar / ns, r->si_sdr += si / ns;
      r->n++;
    }
    for (int k = 0; k < ns; k++) free(est[m][k]);
  }
  free(mag);
  free(mask);
  free(Y);
  free(X);
  for (int k = 0; k < ns; k++) {
    free(S[k]);
    avs_audio_free(&st[k]);
  }
  avs_audio_free(&mix);
  return have_nmf;
}

int avdata_baseline(int argc, char **argv) {
  const char *pos[1];
  app_parse(argc, argv, 2, opts, usage, pos, 1, 1);
  dir = pos[0];
  char path[4096];
  snprintf(path, sizeof path, "%s/meta.json", dir);
  if (!app_file_exists(path)) app_fail("no data set in %s (meta.json is missing)", dir);
  avs_manifest *test_m = read_split(split);
  const char *kind = test_m->kind;
  if (!kind) app_fail("%s is not an avdata meta.json", path);
  if (!strcmp(kind, "actions")) app_fail("actions clips have no audio to separate");
  avs_manifest *train_m = read_split("train");
  clip *test = clips_of(test_m), *train = clips_of(train_m);
  int n_test = test_m->n, n_train = train_m->n;
  bool speech = !strcmp(kind, "speech");
  avs_stft_cfg scfg = speech ? AVS_STFT_SPEECH : AVS_STFT_SOP;
  int rc = avs_stft_new(&scfg, &stft);
  if (rc) app_fail_status(rc);
  F = avs_stft_bins(stft);

  int n_use = 0;
  for (int i = 0; i < n_test; i++)
    if (test[i].n >= 2 && (max_clips == 0 || n_use < max_clips)) test[n_use++] = test[i];
  if (n_use == 0) app_fail("the %s split of %s has no clip with two or more sources", split, dir);

  /* dictionaries for the classes that occur */
  static float *dict[MAX_CLASSES];
  static bool need[MAX_CLASSES];
  int n_need = 0;
  for (int i = 0; i < n_use; i++)
    for (int k = 0; k < test[i].n; k++)
      if (!need[test[i].src[k].cls]) need[test[i].src[k].cls] = true, n_need++;
  app_progress p;
  app_progress_start(&p, "learning NMF dictionaries", n_need);
  int done = 0;
  for (int c = 0; c < MAX_CLASSES; c++)
    if (need[c]) {
      dict[c] = learn(c, train, n_train);
      app_progress_update(&p, ++done);
    }
  app_progress_end(&p);

  acc res[N_GROUPS * N_METHODS];
  memset(res, 0, sizeof res);
  int n_scored = 0, n_no_dict = 0, n_done = 0;
  app_progress_start(&p, "scoring clips", n_use);
  /* clips in parallel, each thread with its own STFT plan */
#pragma omp parallel
  {
    avs_stft *tf = NULL;
    avs_stft_cfg cfg_local = scfg;
    int rc_local = avs_stft_new(&cfg_local, &tf);
    if (rc_local) app_fail_status(rc_local);
    acc mine[N_GROUPS * N_METHODS];
    memset(mine, 0, sizeof mine);
    int no_dict = 0;
#pragma omp for schedule(dynamic, 1)
    for (int i = 0; i < n_use; i++) {
      no_dict += !score_clip(&test[i], tf, (const float *const *)dict, mine);
#pragma omp critical(avdata_baseline)
      app_progress_update(&p, ++n_done);
    }
#pragma omp critical(avdata_baseline)
    {
      for (int m = 0; m < N_GROUPS * N_METHODS; m++) {
        res[m].sdr += mine[m].sdr, res[m].sir += mine[m].sir, res[m].sar += mine[m].sar;
        res[m].si_sdr += mine[m].si_sdr, res[m].n += mine[m].n;
      }
      n_no_dict += no_dict;
    }
    avs_stft_free(&tf);
  }
  n_scored = n_use;
  app_progress_end(&p);

  if (json) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "data", dir);
    cJSON_AddStringToObject(o, "split", split);
    cJSON_AddNumberToObject(o, "clips", n_scored);
    cJSON_AddNumberToObject(o, "nmf_components", n_comp);
    cJSON_AddNumberToObject(o, "nmf_iterations", n_iter);
    for (int grp = 0; grp < N_GROUPS; grp++) {
      char key[32];
      snprintf(key, sizeof key, grp ? "sources_%d" : "methods", grp + 1);
      cJSON *ms = NULL;
      for (int m = 0; m < N_METHODS; m++) {
        const acc *r = &res[grp * N_METHODS + m];
        if (!r->n) continue;
        if (!ms) ms = cJSON_AddObjectToObject(o, key);
        cJSON *j = cJSON_AddObjectToObject(ms, method_names[m]);
        cJSON_AddNumberToObject(j, "clips", r->n);
        cJSON_AddNumberToObject(j, "sdr", round(r->sdr / r->n * 100) / 100);
        cJSON_AddNumberToObject(j, "sir", round(r->sir / r->n * 100) / 100);
        cJSON_AddNumberToObject(j, "sar", round(r->sar / r->n * 100) / 100);
        cJSON_AddNumberToObject(j, "si_sdr", round(r->si_sdr / r->n * 100) / 100);
      }
    }
    char *js = cJSON_Print(o);
    printf("%s\n", js);
    free(js);
    cJSON_Delete(o);
  } else {
    printf("%s split of %s: %d clips with 2+ sources (dB, mean over sources then clips)\n", split, dir, n_scored);
    for (int grp = 0; grp < N_GROUPS; grp++) {
      if (!res[grp * N_METHODS + M_IRM].n) continue;
      if (grp == 0)
        printf("%-5s %7s %7s %7s %7s  %s\n", "all", "SDR", "SIR", "SAR", "SI-SDR", "");
      else
        printf("%d sources (%d clips)\n", grp + 1, res[grp * N_METHODS + M_IRM].n);
      for (int m = 0; m < N_METHODS; m++) {
        const acc *r = &res[grp * N_METHODS + m];
        if (!r->n) continue;
        char sar[16]; /* the mixture has no artifacts: its SAR is numerically infinite */
        double v = r->sar / r->n;
        if (v > 100)
          snprintf(sar, sizeof sar, "inf");
        else
          snprintf(sar, sizeof sar, "%.2f", v);
        printf("%-5s %7.2f %7.2f %7s %7.2f  %s\n", method_names[m], r->sdr / r->n, r->sir / r->n, sar, r->si_sdr / r->n,
               grp ? "" : method_what[m]);
      }
    }
    if (n_no_dict) printf("(NMF skipped %d clips whose classes have too little training audio)\n", n_no_dict);
  }
  for (int c = 0; c < MAX_CLASSES; c++) free(dict[c]);
  free(test);
  free(train);
  avs_manifest_free(&test_m);
  avs_manifest_free(&train_m);
  avs_stft_free(&stft);
  return 0;
}
