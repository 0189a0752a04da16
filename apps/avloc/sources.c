#include "apps/avloc/sources.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "apps/avloc/render.h"
#include "apps/common/cli.h"
#include "audio/audio_track.h"
#include "av/status.h"
#include "fusion/discover.h"
#include "fusion/sep_data.h"
#include "fusion/sep_video.h"
#include "video/image.h"

static void check(int rc) {
  if (rc) app_fail_status(rc);
}

/* Finds the sources on the loudest window; their boxes into out. True when
 * none was found: one source, the whole picture. */
static bool discover(const avs_model *m, const char *video, const float *x, int64_t n, int want, float peak,
                     avloc_sources *out) {
  avs_discover_window dw;
  check(avs_sep_loudest_window(m, video, x, n, &dw));
  const avs_image *frames = dw.frames;
  avs_discover_result r = {0};
  if (peak >= 1e-4f) check(avs_sep_discover(m, dw.samples, frames, &(avs_discover_opts){.sources = want}, &r));
  out->n = r.n > AVLOC_MAX_SOURCES ? AVLOC_MAX_SOURCES : r.n;
  for (int k = 0; k < out->n; k++) memcpy(out->box[k], r.src[k].box, sizeof out->box[k]);
  if (!r.n) {
    app_warn(peak < 1e-4f ? "the soundtrack is silent: one source, the whole picture"
                          : "no sound source stands out in the picture: one source, the whole picture");
    out->n = 1;
    float whole[4] = {0, 0, (float)frames[0].w, (float)frames[0].h};
    memcpy(out->box[0], whole, sizeof whole);
  }
  avs_discover_window_release(&dw);
  return !r.n;
}

void avloc_sources_separate(const char *video, const char *sep_model, int want, int rate, avloc_sources *out) {
  memset(out, 0, sizeof *out);
  avs_model *m = NULL;
  check(avs_sep_model_load(sep_model, NULL, &m));
  avs_sep_geometry g;
  avs_sep_model_geometry(m, &g);
  avs_audio *x = NULL;
  check(avs_track_load(video, &(avs_track_opts){.rate = g.rate, .channels = 1}, &x));
  float peak = 0;
  for (int64_t t = 0; t < x->frames; t++) peak = fmaxf(peak, fabsf(x->data[t]));
  bool whole = discover(m, video, x->data, x->frames, want, peak, out);
  app_info("%d source%s found with %s (%s)", out->n, out->n == 1 ? "" : "s", m->arch->name, sep_model);

  float *tracks[AVLOC_MAX_SOURCES];
  for (int j = 0; j < out->n; j++)
    if (!(tracks[j] = malloc(sizeof(float) * (size_t)x->frames))) app_fail("out of memory");
  if (whole) {
    memcpy(tracks[0], x->data, sizeof(float) * (size_t)x->frames); /* the whole picture: the whole sound */
  } else {
    avs_sep_video_job job = {.sources = out->n, .boxes = (const float(*)[4])out->box};
    check(avs_sep_separate_video(m, video, x->data, x->frames, &job, tracks));
  }
  for (int j = 0; j < out->n; j++) {
    avs_audio in = {.data = tracks[j], .frames = x->frames, .channels = 1, .rate = g.rate}, *res = NULL;
    check(avs_audio_resample(&in, rate, &res));
    out->track[j] = res->data, out->frames = res->frames;
    res->data = NULL;
    avs_audio_free(&res);
    free(tracks[j]);
  }
  avs_audio_free(&x);
  avs_model_free(&m);
}

cJSON *avloc_sources_json(const avloc_sources *s, int w, int h) {
  cJSON *arr = cJSON_CreateArray();
  for (int j = 0; j < s->n; j++) {
    cJSON *o = cJSON_CreateObject();
    const float *b = s->box[j];
    int box[4] = {(int)fmaxf(b[0], 0), (int)fmaxf(b[1], 0), (int)fminf(b[2], (float)w), (int)fminf(b[3], (float)h)};
    const uint8_t *c = avloc_source_rgb(j);
    int rgb[3] = {c[0], c[1], c[2]};
    cJSON_AddNumberToObject(o, "source", j + 1);
    cJSON_AddItemToObject(o, "box", cJSON_CreateIntArray(box, 4));
    cJSON_AddItemToObject(o, "color", cJSON_CreateIntArray(rgb, 3));
    cJSON_AddItemToArray(arr, o);
  }
  return arr;
}

void avloc_sources_free(avloc_sources *s) {
  for (int j = 0; j < s->n; j++) free(s->track[j]);
  memset(s, 0, sizeof *s);
}
