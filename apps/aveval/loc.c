/* aveval loc -m MODEL MANIFEST: scores a sound-source localizer on an avdata
 * set with per-frame boxes in the LVS / EZ-VSL protocol (fusion/loc_eval.h):
 * the middle frame of each clip with the mixture's window centred on it, the
 * map binarised at its median against the union of the sounding objects'
 * boxes: cIoU per clip, AP50 (cIoU >= 0.5), AUC, mean cIoU. Beside the
 * model, on the same clips, two baselines that look at nothing (the whole
 * frame, a centre Gaussian): a model must beat them to have localized
 * anything. Clips with a silent instrument in view add the share of the
 * map's heat that falls on it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "apps/aveval/aveval.h"
#include "apps/aveval/loc_clip.h"
#include "apps/common/cli.h"
#include "apps/common/manifest.h"
#include "apps/common/progress.h"
#include "apps/common/verbose.h"
#include "av/datadir.h"
#include "av/status.h"
#include "fusion/loc_eval.h"
#include "fusion/localization.h"

#define DEFAULT_MODEL "models/loc.safetensors"

static const char *usage =
    "Usage: aveval loc -m MODEL MANIFEST [options]\n"
    "       aveval loc --baselines-only MANIFEST\n"
    "Scores a sound-source localization model on an avdata set with per-frame boxes\n"
    "(e.g. music/test.jsonl) as LVS and EZ-VSL do: on each clip's middle frame with\n"
    "the mixture's window centred on it, the heatmap binarised at its median against\n"
    "the union of the sounding objects' boxes gives cIoU; AP50 is the fraction of\n"
    "clips with cIoU >= 0.5, AUC the area under the success rate over thresholds\n"
    "0, 0.05, ..., 1. The whole frame and a centre Gaussian are scored on the same\n"
    "clips as baselines. Clips with a silent instrument in view: the share of the\n"
    "map's heat on it (mean, and the fraction of clips at or below 0.1). 'best possible'\n"
    "is what any map without ties can score under the median rule: where the sounding\n"
    "boxes cover less than a quarter of the frame, cIoU 0.5 is out of reach.";

/* BOUND: the best any map without ties can score under the median rule (loc_eval.h). */
enum { MODEL, WHOLE, GAUSS, BOUND, N_SCORED };
static const char *keys[N_SCORED] = {"model", "whole_frame", "centre_gaussian", "bound"};
static const char *titles[N_SCORED] = {"model", "whole frame", "centre Gaussian", "best possible"};

/* The binarisation: at each map's median (NAN), else at this fixed value. */
static float threshold = NAN;

static double ciou_of(const float *heat, const uint8_t *g, int64_t n, float *scratch) {
  return isnan(threshold) ? avs_loc_ciou(heat, g, n, scratch) : avs_loc_ciou_at(heat, g, n, threshold, scratch);
}

typedef struct {
  double *ciou[N_SCORED], *share[N_SCORED]; /* per scored clip; share NaN without a silent object */
  int *clip;                                /* manifest index of each scored clip */
  int n, skipped;
} scores;

/* Scoring needs, beyond the audio app_manifest_audio asks, the boxes of a
 * sounding object in every clip. */
static void check_boxes(const avs_manifest *mf) {
  for (int i = 0; i < mf->n; i++) {
    const avs_manifest_clip *c = &mf->clips[i];
    bool boxed = false;
    for (int k = 0; k < c->n_objects; k++) boxed |= c->objects[k].sounding && c->objects[k].n_boxes > 0;
    if (!boxed)
      app_fail("%s line %d: clip %s has no boxes of a sounding object (localization is scored against them)", mf->path,
               c->line, c->id);
  }
}

/* Scores clip `ci` (read into lc) with the model's map (NULL: baselines only). */
static void score_clip(scores *s, int ci, const loc_clip *lc, const float *heat, float *gauss, float *scratch) {
  const int64_t n = (int64_t)lc->frame.w * lc->frame.h;
  const int k = s->n++;
  s->clip[k] = ci;
  avs_loc_centre_gaussian(lc->frame.w, lc->frame.h, gauss);
  s->ciou[MODEL][k] = heat ? ciou_of(heat, lc->sounding, n, scratch) : NAN;
  s->ciou[WHOLE][k] = avs_loc_ciou_whole_frame(lc->sounding, n);
  s->ciou[GAUSS][k] = ciou_of(gauss, lc->sounding, n, scratch);
  s->ciou[BOUND][k] = isnan(threshold) ? avs_loc_ciou_bound(lc->sounding, n) : 1.0; /* fixed: p = g scores 1 */
  s->share[BOUND][k] = NAN;
  /* The whole frame's heat is 1 everywhere: its share is the silent boxes' share of the area. */
  for (int64_t i = 0; i < n; i++) scratch[i] = 1.0f;
  s->share[MODEL][k] = heat && lc->any_silent ? avs_loc_silent_share(heat, lc->sounding, lc->silent, n) : NAN;
  s->share[WHOLE][k] = lc->any_silent ? avs_loc_silent_share(scratch, lc->sounding, lc->silent, n) : NAN;
  s->share[GAUSS][k] = lc->any_silent ? avs_loc_silent_share(gauss, lc->sounding, lc->silent, n) : NAN;
}

static cJSON *num(double v) { return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull(); }

static cJSON *silent_json(const avs_loc_silent_summary *ss) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "clips", ss->clips);
  cJSON_AddItemToObject(o, "mean_share", num(ss->clips ? ss->mean_share : NAN));
  cJSON_AddItemToObject(o, "within_10pct", num(ss->clips ? ss->within_10pct : NAN));
  return o;
}

static void add_figures(cJSON *o, const avs_loc_summary *su) {
  cJSON_AddItemToObject(o, "ap50", num(su->n ? su->ap50 : NAN));
  cJSON_AddItemToObject(o, "auc", num(su->n ? su->auc : NAN));
  cJSON_AddItemToObject(o, "ciou", num(su->n ? su->mean_ciou : NAN));
}

static void print_json(const scores *s, const avs_manifest *mf, const char *model, const avs_loc_summary *su,
                       const avs_loc_silent_summary *ss) {
  cJSON *root = cJSON_CreateObject();
  cJSON_AddItemToObject(root, "model", model ? cJSON_CreateString(model) : cJSON_CreateNull());
  cJSON_AddStringToObject(root, "manifest", mf->path);
  cJSON_AddItemToObject(root, "threshold", isnan(threshold) ? cJSON_CreateString("median") : cJSON_CreateNumber(threshold));
  cJSON_AddNumberToObject(root, "clips", s->n);
  cJSON_AddNumberToObject(root, "skipped", s->skipped);
  if (model) add_figures(root, &su[MODEL]);
  else cJSON_AddNullToObject(root, "ap50"), cJSON_AddNullToObject(root, "auc"), cJSON_AddNullToObject(root, "ciou");
  cJSON *base = cJSON_AddObjectToObject(root, "baselines");
  for (int b = WHOLE; b <= GAUSS; b++) {
    cJSON *o = cJSON_AddObjectToObject(base, keys[b]);
    add_figures(o, &su[b]);
    cJSON_AddItemToObject(o, "silent", silent_json(&ss[b]));
  }
  cJSON_AddItemToObject(root, "silent", model ? silent_json(&ss[MODEL]) : cJSON_CreateNull());
  add_figures(cJSON_AddObjectToObject(root, "bound"), &su[BOUND]);
  cJSON *arr = cJSON_AddArrayToObject(root, "per_clip");
  for (int k = 0; k < s->n; k++) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", mf->clips[s->clip[k]].id);
    cJSON_AddItemToObject(o, "ciou", num(s->ciou[MODEL][k]));
    cJSON_AddItemToObject(o, "silent_share", num(s->share[MODEL][k]));
    cJSON_AddNumberToObject(o, "whole_frame", s->ciou[WHOLE][k]);
    cJSON_AddNumberToObject(o, "centre_gaussian", s->ciou[GAUSS][k]);
    cJSON_AddItemToArray(arr, o);
  }
  char *text = cJSON_Print(root);
  if (!text) app_fail("out of memory");
  puts(text);
  free(text);
  cJSON_Delete(root);
}

static void print_text(const scores *s, const avs_manifest *mf, const char *model, const avs_loc_summary *su,
                       const avs_loc_silent_summary *ss) {
  for (int k = 0; model && k < s->n; k++) {
    printf("  %-24s cIoU %.3f", mf->clips[s->clip[k]].id, s->ciou[MODEL][k]);
    if (!isnan(s->share[MODEL][k])) printf("  silent share %.3f", s->share[MODEL][k]);
    printf("\n");
  }
  printf("%s: %d clips (the middle frame of each)", mf->path, s->n);
  if (s->skipped) printf(", %d skipped (no sounding box on that frame)", s->skipped);
  printf("\n%-18s %7s %7s %7s   %s\n", "", "AP50", "AUC", "cIoU", "silent in view: mean share, <= 0.1");
  for (int b = model ? MODEL : WHOLE; b < N_SCORED; b++) {
    if (b == BOUND && !isnan(threshold)) continue;
    printf("%-18s %7.4f %7.4f %7.4f", titles[b], su[b].ap50, su[b].auc, su[b].mean_ciou);
    if (ss[b].clips) printf("   %.3f, %.0f%% of %d clips", ss[b].mean_share, 100 * ss[b].within_10pct, ss[b].clips);
    printf("\n");
  }
  if (isnan(threshold)) printf("(best possible: a map without ties must keep half the frame above its median)\n");
  else printf("(binarised at %g, not at the median)\n", (double)threshold);
  if (model) printf("(model %s)\n", model);
}

static void read_or_fail(int rc, const char *id) {
  if (rc) app_fail("clip %s: %s", id, avs_errmsg());
}

/* Reads the first n clips `batch` at a time, maps them with m (NULL: none)
 * and scores the model and the baselines on each into s. */
static void score_set(const avs_manifest *mf, int n, const avs_model *m, const avs_loc_geometry *g, int batch,
                      scores *s) {
  s->clip = malloc(sizeof(int) * (size_t)n);
  bool ok = s->clip != NULL;
  for (int b = 0; b < N_SCORED; b++) {
    s->ciou[b] = malloc(sizeof(double) * (size_t)n), s->share[b] = malloc(sizeof(double) * (size_t)n);
    ok &= s->ciou[b] && s->share[b];
  }
  loc_clip *lc = calloc((size_t)batch, sizeof *lc);
  const avs_image **frames = calloc((size_t)batch, sizeof *frames);
  const float **windows = calloc((size_t)batch, sizeof *windows);
  float **heat = calloc((size_t)batch, sizeof *heat), *gauss = NULL, *scratch = NULL;
  int *ids = calloc((size_t)batch, sizeof *ids);
  avs_ctx *ctx = m ? avs_ctx_new(&(avs_ctx_params){.train = false}) : NULL;
  if (!ok || !lc || !frames || !windows || !heat || !ids || (m && !ctx)) app_fail("out of memory");

  app_progress pr;
  app_progress_start(&pr, "clips", n);
  for (int c0 = 0; c0 < n; c0 += batch) {
    int nb = 0;
    for (int c = c0; c < n && c < c0 + batch; c++) {
      read_or_fail(loc_clip_read(&mf->clips[c], g->rate, m ? g->samples : 0, &lc[nb]), mf->clips[c].id);
      if (!lc[nb].any_sounding) { /* every sounding object is out of the frame: nothing to find */
        s->skipped++;
        loc_clip_release(&lc[nb]);
        continue;
      }
      frames[nb] = &lc[nb].frame, windows[nb] = lc[nb].window;
      if (!(heat[nb] = malloc(sizeof(float) * (size_t)lc[nb].frame.w * lc[nb].frame.h))) app_fail("out of memory");
      ids[nb++] = c;
    }
    if (m && nb && avs_loc_heatmaps(ctx, m, nb, frames, windows, heat)) app_fail_status(avs_errcode());
    if (ctx) avs_ctx_reset(ctx);
    for (int i = 0; i < nb; i++) {
      /* Frames of a set may differ in size: the baseline's map and the scratch follow each. */
      const size_t px = (size_t)lc[i].frame.w * lc[i].frame.h;
      gauss = realloc(gauss, sizeof(float) * px), scratch = realloc(scratch, sizeof(float) * px);
      if (!gauss || !scratch) app_fail("out of memory");
      score_clip(s, ids[i], &lc[i], m ? heat[i] : NULL, gauss, scratch);
      loc_clip_release(&lc[i]);
      free(heat[i]), heat[i] = NULL;
    }
    app_progress_update(&pr, c0 + batch < n ? c0 + batch : n);
  }
  app_progress_end(&pr);
  free(lc), free(frames), free(windows), free(heat), free(gauss), free(scratch), free(ids);
  avs_ctx_free(&ctx);
}

int aveval_loc(int argc, char **argv) {
  const char *model = NULL, *pos[1], *thr = "median";
  int max = 0, batch = 16;
  bool json = false, baselines_only = false;
  const app_opt opts[] = {
      {"model", 'm', APP_STRING, &model, "localization model (default: the shipped " DEFAULT_MODEL ")", 0, 0},
      {"baselines-only", 0, APP_FLAG, &baselines_only, "score only the whole-frame and centre-Gaussian baselines", 0,
       0},
      {"clips", 0, APP_INT, &max, "score the first N clips of the manifest (0: all)", 0, 100000000},
      {"batch", 'b', APP_INT, &batch, "frames per forward pass", 1, 4096},
      {"threshold", 0, APP_STRING, &thr, "binarise each map at its median (the protocol) or at this value in [0, 1]", 0, 0},
      {"json", 0, APP_FLAG, &json, "print the figures and per-clip results as JSON on stdout", 0, 0},
      APP_PRECISION_OPT,
      {0},
  };
  app_parse(argc, argv, 2, opts, usage, pos, 1, 1);
  if (baselines_only && model) app_usage_error("--baselines-only scores no model: drop -m %s", model);
  if (strcmp(thr, "median")) {
    char *end;
    threshold = strtof(thr, &end);
    if (*end || end == thr || !(threshold >= 0 && threshold <= 1))
      app_usage_error("--threshold must be median or a number in [0, 1], not '%s'", thr);
  }
  /* The set first: a wrong input is reported before a model is read. */
  avs_manifest *mf = app_manifest_audio(pos[0]);
  check_boxes(mf);

  char *shipped = NULL;
  avs_model *m = NULL;
  avs_loc_geometry g = {0};
  if (!baselines_only) {
    if (!model && avs_data_path(DEFAULT_MODEL, &shipped))
      app_fail("no localization model given (-m FILE) and %s", avs_errmsg());
    if (!model) model = shipped;
    if (avs_loc_model_load(model, NULL, &m)) app_fail_status(avs_errcode());
    app_verbose_model(m, model);
    avs_loc_model_geometry(m, &g);
  }
  scores s = {0};
  score_set(mf, max && max < mf->n ? max : mf->n, m, &g, batch, &s);
  if (s.n == 0) app_fail("no clip of %s has a sounding object's box on its middle frame", mf->path);

  avs_loc_summary su[N_SCORED];
  avs_loc_silent_summary ss[N_SCORED];
  for (int b = 0; b < N_SCORED; b++) {
    avs_loc_summarise(s.ciou[b], s.n, &su[b]);
    avs_loc_silent_summarise(s.share[b], s.n, &ss[b]);
  }
  if (json) print_json(&s, mf, model, su, ss);
  else print_text(&s, mf, model, su, ss);

  for (int b = 0; b < N_SCORED; b++) free(s.ciou[b]), free(s.share[b]);
  free(s.clip);
  avs_model_free(&m);
  avs_manifest_free(&mf);
  free(shipped);
  return 0;
}
