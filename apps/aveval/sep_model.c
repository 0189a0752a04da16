/* aveval sep -m MODEL MANIFEST: scores a separation model on an avdata set
 * (fusion/sep_eval.h) in Sound of Pixels' protocols:
 *   natural  every clip with two or more sounding objects, each object
 *            separated by its own box crops, scored against its stem;
 *   solos    pairs of single-source clips mixed (the clips of a pair play
 *            different instruments), each separated by its own box;
 *   pairs    pairs of clips of any number of objects mixed (no category in
 *            both), every object in view separated by its own box: the
 *            test of Co-Separation (mixtures of two multi-object videos);
 *   discovered  the natural clips again, without boxes: the sources found as
 *            avsep separate finds them (told how many), matched to the stems
 *            by the best permutation; also how often the unaided count is right.
 * Silent objects in view are reported by the energy of their track relative
 * to the mixture. Per-clip lines (or --json) and the means. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "apps/aveval/aveval.h"
#include "apps/common/cli.h"
#include "apps/common/manifest.h"
#include "apps/common/progress.h"
#include "apps/common/verbose.h"
#include "av/datadir.h"
#include "av/status.h"
#include "fusion/sep_eval.h"

#define DEFAULT_MODEL "models/sep.safetensors"
#define N_PROTOCOLS 4
#define DISCOVERED 3 /* names[] index */

static const char *usage =
    "Usage: aveval sep -m MODEL MANIFEST [options]\n"
    "Scores a separation model on an avdata set with stems and boxes (e.g. music/test.jsonl):\n"
    "BSS Eval v3 SDR/SIR/SAR (as mir_eval), SI-SDR and NSDR per source and their means, in\n"
    "the protocols 'natural' (every clip with 2+ sounding objects, each separated by its\n"
    "box), 'solos' (pairs of single-source clips mixed, Sound of Pixels' protocol), 'pairs'\n"
    "(pairs of clips with any number of objects mixed, Co-Separation's test), and\n"
    "'discovered' (the natural clips without boxes: the regions avsep separate finds, as\n"
    "many as the clip has sources, matched to the stems by the best permutation).\n"
    "Silent instruments in view: the energy of their track relative to the mixture.\n"
    "(aveval sep --ref ... --est ... scores separated files instead.)";

typedef struct {
  double sdr, sir, sar, si_sdr, nsdr, silent_db;
  int n, n_silent, mixtures;
  int count_right; /* discovered: mixtures where the unaided count is the true one */
} totals;

static void add(totals *t, const avs_sep_eval_result *r) {
  for (int k = 0; k < r->n_sounding; k++) {
    t->sdr += r->sdr[k], t->sir += r->sir[k], t->sar += r->sar[k], t->si_sdr += r->si_sdr[k];
    t->nsdr += r->sdr[k] - r->mix_sdr[k], t->n++;
  }
  for (int k = 0; k < r->n_silent; k++) t->silent_db += r->silent_db[k], t->n_silent++;
  t->count_right += r->found == r->n_sounding;
  t->mixtures++;
}

static int sounding(const avs_sep_set *s, int c) {
  int n = 0;
  for (int k = 0; k < s->count[c]; k++) n += s->obj[s->first[c] + k].wave != NULL;
  return n;
}

static int category(const avs_sep_set *s, int c) {
  for (int k = 0; k < s->count[c]; k++)
    if (s->obj[s->first[c] + k].wave) return s->obj[s->first[c] + k].cls;
  return -1;
}

/* The mixtures of a protocol: groups of clip indices (n per group). */
static int plan(const avs_sep_set *s, const char *protocol, int max, int *groups, int *per) {
  int g = 0;
  if (!strcmp(protocol, "natural") || !strcmp(protocol, "discovered")) {
    *per = 1;
    for (int c = 0; c < s->n_clips && g < max; c++)
      if (sounding(s, c) >= 2) groups[g++] = c;
    return g;
  }
  *per = 2;
  int pending = -1;
  if (!strcmp(protocol, "pairs")) {
    for (int c = 0; c < s->n_clips && g < max; c++) {
      if (sounding(s, c) < 1) continue;
      if (pending < 0) pending = c;
      else if (!avs_sep_set_shares_category(s, pending, c))
        groups[2 * g] = pending, groups[2 * g + 1] = c, g++, pending = -1;
    }
    return g;
  }
  for (int c = 0; c < s->n_clips && g < max; c++) {
    if (sounding(s, c) != 1) continue;
    if (pending < 0) pending = c;
    else if (category(s, pending) != category(s, c)) groups[2 * g] = pending, groups[2 * g + 1] = c, g++, pending = -1;
  }
  return g;
}

static cJSON *num(double v) { return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull(); }

static cJSON *means_json(const totals *t, bool discovered) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "mixtures", t->mixtures);
  cJSON_AddNumberToObject(o, "sources", t->n);
  cJSON_AddItemToObject(o, "sdr", num(t->n ? t->sdr / t->n : NAN));
  cJSON_AddItemToObject(o, "sir", num(t->n ? t->sir / t->n : NAN));
  cJSON_AddItemToObject(o, "sar", num(t->n ? t->sar / t->n : NAN));
  cJSON_AddItemToObject(o, "si_sdr", num(t->n ? t->si_sdr / t->n : NAN));
  cJSON_AddItemToObject(o, "nsdr", num(t->n ? t->nsdr / t->n : NAN));
  cJSON_AddNumberToObject(o, "silent_objects", t->n_silent);
  cJSON_AddItemToObject(o, "silent_db", num(t->n_silent ? t->silent_db / t->n_silent : NAN));
  if (discovered) cJSON_AddItemToObject(o, "count_right", num(t->mixtures ? (double)t->count_right / t->mixtures : NAN));
  return o;
}

/* A comma-separated list of protocol names into want[]; anything else is a usage error. */
static void parse_protocols(const char *list, const char *const names[N_PROTOCOLS], bool want[N_PROTOCOLS]) {
  const char *p = list;
  bool any = false;
  while (*p) {
    size_t n = strcspn(p, ",");
    int k = 0;
    while (k < N_PROTOCOLS && (strlen(names[k]) != n || strncmp(p, names[k], n))) k++;
    if (k == N_PROTOCOLS) app_usage_error("--protocol: '%.*s' is not natural, solos, pairs or discovered", (int)n, p);
    want[k] = any = true;
    p += n + (p[n] == ',');
  }
  if (!any) app_usage_error("--protocol must name natural, solos, pairs and/or discovered");
}

static void on_load(void *user, int done, int total) {
  (void)total;
  app_progress_update(user, done);
}

int aveval_sep_model(int argc, char **argv) {
  const char *model = NULL, *protocols = NULL, *oracle = NULL, *pos[1];
  int max = 0;
  const char *masks = "compete";
  bool json = false, binary = false;
  const app_opt opts[] = {
      {"model", 'm', APP_STRING, &model, "separation model (default: the shipped " DEFAULT_MODEL ")", 0, 0},
      {"protocol", 0, APP_STRING, &protocols,
       "natural, solos, pairs and/or discovered, separated by commas (default natural,solos; a speech model: natural)",
       0, 0},
      {"clips", 0, APP_INT, &max, "score at most this many mixtures per protocol (0: all)", 0, 1000000},
      {"binary", 0, APP_FLAG, &binary, "threshold the masks at 0.5 (Sound of Pixels' test option)", 0, 0},
      {"masks", 0, APP_STRING, &masks,
       "compete (the sources of a mixture share each time-frequency bin by their masks' squares) or independent", 0,
       0},
      {"oracle", 0, APP_STRING, &oracle,
       "score the ideal masks (binary or ratio) at the model's geometry instead of the model: the best its masks can "
       "reach",
       0, 0},
      {"json", 0, APP_FLAG, &json, "print per-mixture results and the means as JSON on stdout", 0, 0},
      APP_PRECISION_OPT,
      {0},
  };
  app_parse(argc, argv, 2, opts, usage, pos, 1, 1);
  bool want[N_PROTOCOLS] = {false};
  const char *names[N_PROTOCOLS] = {"natural", "solos", "pairs", "discovered"};
  parse_protocols(protocols ? protocols : "natural,solos", names, want);
  avs_sep_mask_rule rule;
  if (avs_sep_mask_rule_parse(masks, binary, &rule)) app_usage_error("--%s", avs_errmsg());
  if (oracle && strcmp(oracle, "binary") && strcmp(oracle, "ratio"))
    app_usage_error("--oracle must be binary or ratio, not '%s'", oracle);
  if (oracle && want[DISCOVERED]) app_usage_error("--oracle scores boxes' masks: not with --protocol discovered");
  char *shipped = NULL;
  if (!model && avs_data_path(DEFAULT_MODEL, &shipped))
    app_fail("no separation model given (-m FILE) and %s", avs_errmsg());
  if (!model) model = shipped;
  avs_model *m = NULL;
  /* A speech model scores the speech way (the natural protocol with face tracks). */
  if (avs_model_load(model, -1, NULL, NULL, &m)) app_fail_status(avs_errcode());
  if (m->arch->kind == AVS_KIND_SPEECH) {
    if ((protocols && strcmp(protocols, "natural")) || oracle || binary || rule.independent)
      app_usage_error("a speech model is scored in the natural protocol only (no --oracle, --binary, --masks)");
    app_verbose_model(m, model);
    int rc = aveval_speech_model(m, model, pos[0], max, json);
    avs_model_free(&m), free(shipped);
    return rc;
  }
  avs_model_free(&m);
  if (avs_sep_model_load(model, NULL, &m)) app_fail_status(avs_errcode());
  app_verbose_model(m, model);
  avs_manifest *mf = app_manifest_stems(pos[0]);
  avs_sep_geometry g;
  avs_sep_model_geometry(m, &g);
  app_progress pr;
  app_progress_start(&pr, "reading clips", mf->n);
  avs_sep_set *s = NULL;
  if (avs_sep_set_load(mf, &g, NULL, on_load, &pr, &s)) app_fail_status(avs_errcode());
  app_progress_end(&pr);

  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "model", model);
  cJSON_AddStringToObject(root, "manifest", pos[0]);
  if (oracle) cJSON_AddStringToObject(root, "oracle", oracle);
  int *groups = malloc(sizeof(int) * 2 * (size_t)(mf->n + 1));
  if (!groups) app_fail("out of memory");
  for (int p = 0; p < N_PROTOCOLS; p++) {
    if (!want[p]) continue;
    bool discovered = p == DISCOVERED;
    int per, n = plan(s, names[p], max ? max : mf->n, groups, &per);
    totals t = {0};
    cJSON *arr = cJSON_AddArrayToObject(root, names[p]);
    app_progress_start(&pr, names[p], n);
    if (!json) printf("%s: %d mixture%s\n", names[p], n, n == 1 ? "" : "s");
    for (int i = 0; i < n; i++) {
      avs_sep_eval_result r;
      int rc = discovered ? avs_sep_eval_discovered(m, s, groups[i], rule, &r)
               : oracle   ? avs_sep_eval_oracle(m, s, groups + i * per, per, !strcmp(oracle, "ratio"), &r)
                          : avs_sep_eval_mixture(m, s, groups + i * per, per, rule, &r);
      if (rc) app_fail_status(avs_errcode());
      add(&t, &r);
      cJSON *o = cJSON_CreateObject();
      cJSON *ids = cJSON_AddArrayToObject(o, "clips");
      for (int k = 0; k < per; k++) cJSON_AddItemToArray(ids, cJSON_CreateString(mf->clips[groups[i * per + k]].id));
      if (discovered) cJSON_AddNumberToObject(o, "found", r.found);
      cJSON *src = cJSON_AddArrayToObject(o, "sources");
      for (int k = 0; k < r.n_sounding; k++) {
        cJSON *so = cJSON_CreateObject();
        const avs_sep_object *ob = &s->obj[r.obj[k]];
        const avs_manifest_object *mo = &mf->clips[ob->clip].objects[r.obj[k] - s->first[ob->clip]];
        cJSON_AddStringToObject(so, "label", mo->label ? mo->label : "");
        cJSON_AddItemToObject(so, "sdr", num(r.sdr[k]));
        cJSON_AddItemToObject(so, "sir", num(r.sir[k]));
        cJSON_AddItemToObject(so, "sar", num(r.sar[k]));
        cJSON_AddItemToObject(so, "si_sdr", num(r.si_sdr[k]));
        cJSON_AddItemToObject(so, "nsdr", num(r.sdr[k] - r.mix_sdr[k]));
        cJSON_AddItemToArray(src, so);
        if (!json)
          printf("  %-24s %-16s SDR %7.2f  SIR %7.2f  SAR %7.2f  SI-SDR %7.2f\n", mf->clips[ob->clip].id,
                 mo->label ? mo->label : "?", r.sdr[k], r.sir[k], r.sar[k], r.si_sdr[k]);
      }
      cJSON *sil = cJSON_AddArrayToObject(o, "silent_db");
      for (int k = 0; k < r.n_silent; k++) {
        cJSON_AddItemToArray(sil, num(r.silent_db[k]));
        if (!json) printf("  %-24s silent object: %.1f dB of the mixture\n", mf->clips[groups[i * per]].id, r.silent_db[k]);
      }
      cJSON_AddItemToArray(arr, o);
      app_progress_update(&pr, i + 1);
    }
    app_progress_end(&pr);
    char key[32];
    snprintf(key, sizeof key, "%s_mean", names[p]);
    cJSON_AddItemToObject(root, key, means_json(&t, discovered));
    if (!json && t.n)
      printf("%s mean over %d sources of %d mixtures: SDR %.2f  SIR %.2f  SAR %.2f  SI-SDR %.2f  NSDR %.2f dB\n",
             names[p], t.n, t.mixtures, t.sdr / t.n, t.sir / t.n, t.sar / t.n, t.si_sdr / t.n, t.nsdr / t.n);
    if (!json && discovered && t.mixtures)
      printf("discovered: the unaided count is right in %d of %d mixtures\n", t.count_right, t.mixtures);
    if (!json && t.n_silent)
      printf("%s silent objects (%d): %.1f dB of the mixture on average\n", names[p], t.n_silent,
             t.silent_db / t.n_silent);
  }
  if (json) {
    char *text = cJSON_Print(root);
    if (!text) app_fail("out of memory");
    puts(text);
    free(text);
  }
  cJSON_Delete(root);
  free(groups);
  avs_sep_set_free(&s);
  avs_manifest_free(&mf);
  avs_model_free(&m);
  free(shipped);
  return 0;
}
