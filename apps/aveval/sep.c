/* aveval sep: separation metrics of estimated sources against references.
 *
 *   aveval sep --ref a.wav b.wav --est x.wav y.wav [--mix m.wav] [--json]
 *
 * SDR/SIR/SAR are BSS Eval v3 as mir_eval.separation.bss_eval_sources (512-tap
 * filters), with the permutation of estimates that maximises the mean SIR
 * unless --no-perm; SI-SDR of each matched pair; NSDR = SDR - SDR of the
 * mixture (default: the sum of the references). Files are read as mono
 * (channel mean) at their own rate; all must share one rate; lengths are cut
 * to the shortest. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "apps/aveval/aveval.h"
#include "apps/common/cli.h"
#include "audio/audio_track.h"
#include "audio/metrics.h"
#include "av/status.h"

#define MAX_SRC 8

static const char *usage =
    "Usage: aveval sep --ref REF... --est EST... [options]\n"
    "Separation metrics of estimated sources EST against reference sources REF\n"
    "(audio files: WAV, FLAC, OGG, ... or any media file FFmpeg reads; read as mono):\n"
    "SDR, SIR, SAR (BSS Eval v3 as mir_eval 0.7, 512-tap filters), SI-SDR and NSDR,\n"
    "per source and their means. The estimates are matched to the references by\n"
    "the permutation with the best mean SIR (as mir_eval) unless --no-perm.\n"
    "  --ref FILE...                reference sources (1 to 8)\n"
    "  --est FILE...                estimated sources, as many as references\n"
    "(aveval sep -m MODEL MANIFEST scores a separation model on an avdata set: see aveval sep -m x --help.)";

static bool json, no_perm;
static const char *mix_path;

static const app_opt opts[] = {
    {"mix", 0, APP_STRING, &mix_path, "mixture for NSDR (default: the sum of the references)", 0, 0},
    {"no-perm", 0, APP_FLAG, &no_perm, "estimate i goes with reference i, no permutation search", 0, 0},
    {"json", 0, APP_FLAG, &json, "print the result as JSON on stdout", 0, 0},
    {0},
};

static avs_audio *load(const char *path) {
  avs_audio *a = NULL;
  int rc = avs_audio_load(path, 0, 1, &a);
  if (rc) app_fail_status(rc);
  return a;
}

static cJSON *num(double v) { return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull(); }

static void fmt_db(char *buf, size_t n, double v) {
  if (isinf(v))
    snprintf(buf, n, "%s", v > 0 ? "inf" : "-inf");
  else
    snprintf(buf, n, "%.2f", v);
}

int aveval_sep(int argc, char **argv) {
  for (int i = 2; i < argc; i++)
    if (!strcmp(argv[i], "-m") || !strcmp(argv[i], "--model") || !strncmp(argv[i], "--model=", 8))
      return aveval_sep_model(argc, argv);
  /* --ref and --est take several values: pull them out before app_parse. */
  const char *refs[MAX_SRC + 1], *ests[MAX_SRC + 1];
  int nr = 0, ne = 0, rest_n = 0;
  char **rest = malloc(sizeof(char *) * (size_t)(argc + 1));
  if (!rest) app_fail("out of memory");
  for (int i = 0; i < argc; i++) {
    bool is_ref = !strcmp(argv[i], "--ref") || !strcmp(argv[i], "-r");
    bool is_est = !strcmp(argv[i], "--est") || !strcmp(argv[i], "-e");
    if (!is_ref && !is_est) {
      if (!strcmp(argv[i], "--")) app_usage_error("'--' is not used by 'sep'; name files after --ref and --est");
      rest[rest_n++] = argv[i];
      continue;
    }
    const char **dst = is_ref ? refs : ests;
    int *cnt = is_ref ? &nr : &ne, before = *cnt;
    while (i + 1 < argc && (argv[i + 1][0] != '-' || !argv[i + 1][1])) {
      if (*cnt >= MAX_SRC) app_usage_error("at most %d %s sources", MAX_SRC, is_ref ? "reference" : "estimated");
      dst[(*cnt)++] = argv[++i];
    }
    if (*cnt == before) app_usage_error("option %s needs at least one file", argv[i]);
  }
  rest[rest_n] = NULL;
  app_parse(rest_n, rest, 2, opts, usage, NULL, 0, 0);
  if (nr == 0) app_usage_error("no reference sources (--ref FILE...)");
  if (ne == 0) app_usage_error("no estimated sources (--est FILE...)");
  if (nr != ne) app_usage_error("%d reference%s but %d estimate%s: give as many of each", nr, nr == 1 ? "" : "s", ne,
                                ne == 1 ? "" : "s");

  avs_audio *r[MAX_SRC], *e[MAX_SRC], *m = NULL;
  for (int j = 0; j < nr; j++) r[j] = load(refs[j]);
  for (int j = 0; j < ne; j++) e[j] = load(ests[j]);
  if (mix_path) m = load(mix_path);
  const int rate = r[0]->rate;
  int64_t n = r[0]->frames, longest = 0;
  for (int j = 0; j < 2 * nr + (m != NULL); j++) {
    const avs_audio *a = j < nr ? r[j] : j < 2 * nr ? e[j - nr] : m;
    const char *p = j < nr ? refs[j] : j < 2 * nr ? ests[j - nr] : mix_path;
    if (a->rate != rate)
      app_fail("sample rates differ: %s is %d Hz, %s is %d Hz (resample first)", refs[0], rate, p, a->rate);
    if (a->frames < n) n = a->frames;
    if (a->frames > longest) longest = a->frames;
  }
  const float *rp[MAX_SRC], *ep[MAX_SRC];
  for (int j = 0; j < nr; j++) rp[j] = r[j]->data, ep[j] = e[j]->data;
  /* Unusable references fail before the length warning: one line for a failure. */
  int rc = avs_metrics_check_references(rp, nr, n);
  if (rc) app_fail_status(rc);
  if (longest != n)
    app_warn("lengths differ (%lld to %lld samples): all cut to the shortest, %.3f s", (long long)n,
             (long long)longest, (double)n / rate);
  float *mix = NULL;
  if (!m) {
    mix = calloc((size_t)n, sizeof(float));
    if (!mix) app_fail("out of memory");
    for (int j = 0; j < nr; j++)
      for (int64_t i = 0; i < n; i++) mix[i] += r[j]->data[i];
  }

  avs_bss_result res[MAX_SRC];
  double nsdr[MAX_SRC], si[MAX_SRC];
  rc = avs_metrics_bss_eval_nsdr(rp, ep, m ? m->data : mix, nr, n, !no_perm, res, nsdr);
  if (rc) app_fail_status(rc);
  double mean[5] = {0};
  for (int j = 0; j < nr; j++) {
    si[j] = avs_metrics_si_sdr(rp[j], ep[res[j].est], n, true);
    const double v[5] = {res[j].sdr, res[j].sir, res[j].sar, si[j], nsdr[j]};
    for (int k = 0; k < 5; k++) mean[k] += v[k] / nr;
  }

  if (json) {
    cJSON *root = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(root, "sources");
    static const char *keys[5] = {"sdr", "sir", "sar", "si_sdr", "nsdr"};
    for (int j = 0; j < nr; j++) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "reference", refs[j]);
      cJSON_AddStringToObject(o, "estimate", ests[res[j].est]);
      const double v[5] = {res[j].sdr, res[j].sir, res[j].sar, si[j], nsdr[j]};
      for (int k = 0; k < 5; k++) cJSON_AddItemToObject(o, keys[k], num(v[k]));
      cJSON_AddItemToArray(arr, o);
    }
    cJSON *mo = cJSON_AddObjectToObject(root, "mean");
    for (int k = 0; k < 5; k++) cJSON_AddItemToObject(mo, keys[k], num(mean[k]));
    cJSON *perm = cJSON_AddArrayToObject(root, "permutation");
    for (int j = 0; j < nr; j++) cJSON_AddItemToArray(perm, cJSON_CreateNumber(res[j].est));
    cJSON_AddBoolToObject(root, "permuted", !no_perm);
    cJSON_AddStringToObject(root, "mixture", mix_path ? mix_path : "sum of references");
    cJSON_AddNumberToObject(root, "rate", rate);
    cJSON_AddNumberToObject(root, "samples", (double)n);
    char *text = cJSON_Print(root);
    if (!text) app_fail("out of memory");
    puts(text);
    free(text);
    cJSON_Delete(root);
  } else {
    int wr = 9, we = 8;
    for (int j = 0; j < nr; j++) {
      if ((int)strlen(refs[j]) > wr) wr = (int)strlen(refs[j]);
      if ((int)strlen(ests[j]) > we) we = (int)strlen(ests[j]);
    }
    printf("%-*s  %-*s  %8s %8s %8s %8s %8s\n", wr, "reference", we, "estimate", "SDR", "SIR", "SAR", "SI-SDR", "NSDR");
    char c[5][32];
    for (int j = 0; j <= nr; j++) {
      const double *v = j < nr ? (const double[5]){res[j].sdr, res[j].sir, res[j].sar, si[j], nsdr[j]} : mean;
      for (int k = 0; k < 5; k++) fmt_db(c[k], sizeof c[k], v[k]);
      printf("%-*s  %-*s  %8s %8s %8s %8s %8s\n", wr, j < nr ? refs[j] : "mean", we, j < nr ? ests[res[j].est] : "",
             c[0], c[1], c[2], c[3], c[4]);
    }
    printf("(dB; %d Hz, %.3f s, %s; NSDR against %s)\n", rate, (double)n / rate,
           no_perm ? "estimates in the given order" : "best permutation by mean SIR",
           mix_path ? mix_path : "the sum of the references");
  }
  for (int j = 0; j < nr; j++) avs_audio_free(&r[j]), avs_audio_free(&e[j]);
  avs_audio_free(&m);
  free(mix);
  free(rest);
  return 0;
}
