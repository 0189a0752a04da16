/* aveval sep -m SPEECH_MODEL MANIFEST: scores a speech model (fusion/speech.h)
 * on an avdata speech set (fusion/speech_eval.h): every clip with as many
 * speakers as the model separates, its own mixture separated with each
 * speaker's face track from the manifest, each voice scored against its stem
 * (BSS Eval v3 SDR/SIR/SAR, SI-SDR, NSDR = SDR over the mixture's). The output
 * has sep's shape (protocol "natural"): per-clip lines or --json, and the means. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "apps/aveval/aveval.h"
#include "apps/common/cli.h"
#include "apps/common/manifest.h"
#include "apps/common/progress.h"
#include "av/status.h"
#include "fusion/speech_eval.h"

static cJSON *num(double v) { return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull(); }

static void on_load(void *user, int done, int total) {
  (void)total;
  app_progress_update(user, done);
}

int aveval_speech_model(const avs_model *m, const char *model_path, const char *manifest, int max, bool json) {
  avs_manifest *mf = app_manifest_stems(manifest);
  avs_speech_geometry g;
  avs_speech_model_geometry(m, &g);
  app_progress pr;
  app_progress_start(&pr, "reading clips", mf->n);
  avs_speech_set *s = NULL;
  if (avs_speech_set_load(mf, &g, on_load, &pr, &s)) app_fail_status(avs_errcode());
  app_progress_end(&pr);
  int n = 0;
  for (int c = 0; c < s->n_clips; c++) n += s->count[c] == g.speakers;
  if (max && n > max) n = max;
  if (!n) app_fail("no clip of %s has %d speakers (the model's count)", manifest, g.speakers);

  cJSON *root = cJSON_CreateObject(), *arr = cJSON_CreateArray();
  cJSON_AddStringToObject(root, "model", model_path);
  cJSON_AddStringToObject(root, "manifest", manifest);
  cJSON_AddItemToObject(root, "natural", arr);
  double sdr = 0, sir = 0, sar = 0, si = 0, nsdr = 0;
  int sources = 0, done = 0;
  if (!json) printf("natural: %d mixture%s of %d speakers\n", n, n == 1 ? "" : "s", g.speakers);
  app_progress_start(&pr, "natural", n);
  for (int c = 0; c < s->n_clips && done < n; c++) {
    if (s->count[c] != g.speakers) continue;
    avs_sep_eval_result r;
    if (avs_speech_eval_clip(m, s, c, &r)) app_fail_status(avs_errcode());
    cJSON *o = cJSON_CreateObject(), *src = cJSON_CreateArray();
    cJSON *ids = cJSON_AddArrayToObject(o, "clips");
    cJSON_AddItemToArray(ids, cJSON_CreateString(mf->clips[c].id));
    cJSON_AddItemToObject(o, "sources", src);
    for (int k = 0; k < r.n_sounding; k++) {
      const avs_manifest_object *mo = &mf->clips[c].objects[r.obj[k] - s->first[c]];
      cJSON *so = cJSON_CreateObject();
      cJSON_AddStringToObject(so, "label", mo->label ? mo->label : "");
      cJSON_AddItemToObject(so, "sdr", num(r.sdr[k]));
      cJSON_AddItemToObject(so, "sir", num(r.sir[k]));
      cJSON_AddItemToObject(so, "sar", num(r.sar[k]));
      cJSON_AddItemToObject(so, "si_sdr", num(r.si_sdr[k]));
      cJSON_AddItemToObject(so, "nsdr", num(r.sdr[k] - r.mix_sdr[k]));
      cJSON_AddItemToArray(src, so);
      sdr += r.sdr[k], sir += r.sir[k], sar += r.sar[k], si += r.si_sdr[k], nsdr += r.sdr[k] - r.mix_sdr[k], sources++;
      if (!json)
        printf("  %-24s %-16s SDR %7.2f  SIR %7.2f  SAR %7.2f  SI-SDR %7.2f\n", mf->clips[c].id,
               mo->label ? mo->label : "?", r.sdr[k], r.sir[k], r.sar[k], r.si_sdr[k]);
    }
    cJSON_AddItemToArray(arr, o);
    app_progress_update(&pr, ++done);
  }
  app_progress_end(&pr);
  cJSON *mean = cJSON_CreateObject();
  cJSON_AddNumberToObject(mean, "mixtures", done);
  cJSON_AddNumberToObject(mean, "sources", sources);
  cJSON_AddItemToObject(mean, "sdr", num(sdr / sources));
  cJSON_AddItemToObject(mean, "sir", num(sir / sources));
  cJSON_AddItemToObject(mean, "sar", num(sar / sources));
  cJSON_AddItemToObject(mean, "si_sdr", num(si / sources));
  cJSON_AddItemToObject(mean, "nsdr", num(nsdr / sources));
  cJSON_AddItemToObject(root, "natural_mean", mean);
  if (json) {
    char *text = cJSON_Print(root);
    if (!text) app_fail("out of memory");
    puts(text);
    free(text);
  } else {
    printf("natural mean over %d sources of %d mixtures: SDR %.2f  SIR %.2f  SAR %.2f  SI-SDR %.2f  NSDR %.2f dB\n",
           sources, done, sdr / sources, sir / sources, sar / sources, si / sources, nsdr / sources);
  }
  cJSON_Delete(root);
  avs_speech_set_free(&s);
  avs_manifest_free(&mf);
  return 0;
}
