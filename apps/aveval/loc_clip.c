/* Reading one clip for aveval loc (loc_clip.h). */
#include "apps/aveval/loc_clip.h"

#include <stdlib.h>
#include <string.h>

#include "audio/audio_track.h"
#include "av/status.h"
#include "fusion/loc_eval.h"
#include "fusion/localization.h"

/* The window of `samples` samples centred on time t (seconds), as avtrain
 * loc centres its windows (fusion/loc_data.c): the same rounding of t. */
static int read_window(const char *path, int rate, int samples, double t, float *out) {
  avs_audio *a = NULL;
  int rc = avs_audio_load(path, rate, 1, &a);
  if (rc) return avs_errsuffix(rc, path);
  avs_loc_window_at(a->data, a->frames, (int64_t)(t * rate + 0.5), samples, out);
  avs_audio_free(&a);
  return AVS_OK;
}

/* The boxes of frame f of c's objects that are (or are not) sounding. */
static int boxes_at(const avs_manifest_clip *c, int f, bool sounding, int (*out)[4]) {
  int n = 0;
  for (int k = 0; k < c->n_objects; k++) {
    const avs_manifest_object *o = &c->objects[k];
    if (o->sounding == sounding && f < o->n_boxes) memcpy(out[n++], o->boxes[f], sizeof *out);
  }
  return n;
}

static bool any(const uint8_t *m, int64_t n) {
  for (int64_t i = 0; i < n; i++)
    if (m[i]) return true;
  return false;
}

int loc_clip_read(const avs_manifest_clip *c, int rate, int samples, loc_clip *out) {
  memset(out, 0, sizeof *out);
  const int f = loc_clip_frame(c);
  const double fps = c->fps > 0 ? c->fps : 8, t = f / fps;
  int (*boxes)[4] = malloc(sizeof *boxes * (size_t)(c->n_objects ? c->n_objects : 1));
  if (!boxes) return avs_seterr(AVS_ENOMEM, "out of memory");
  int rc = avs_image_frames_at(c->video, &t, 1, &out->frame);
  if (rc) rc = avs_errsuffix(rc, c->video);
  const int w = out->frame.w, h = out->frame.h;
  if (!rc && c->width > 0 && c->height > 0 && (w != c->width || h != c->height))
    rc = avs_seterr(AVS_EFORMAT, "frame %d is %dx%d but the manifest says %dx%d (%s)", f, w, h, c->width, c->height,
                    c->video);
  if (!rc) {
    out->sounding = malloc((size_t)w * h), out->silent = malloc((size_t)w * h);
    if (!out->sounding || !out->silent) rc = avs_seterr(AVS_ENOMEM, "out of memory");
  }
  if (!rc) {
    avs_loc_box_union(w, h, (const int(*)[4])boxes, boxes_at(c, f, true, boxes), out->sounding);
    avs_loc_box_union(w, h, (const int(*)[4])boxes, boxes_at(c, f, false, boxes), out->silent);
    out->any_sounding = any(out->sounding, (int64_t)w * h);
    out->any_silent = any(out->silent, (int64_t)w * h);
  }
  if (!rc && samples > 0) {
    if (!c->audio) rc = avs_seterr(AVS_EFORMAT, "clip %s has no audio", c->id);
    else if (!(out->window = malloc(sizeof(float) * (size_t)samples))) rc = avs_seterr(AVS_ENOMEM, "out of memory");
    else rc = read_window(c->audio, rate, samples, t, out->window);
  }
  free(boxes);
  if (rc) loc_clip_release(out);
  return rc;
}

void loc_clip_release(loc_clip *c) {
  avs_image_release(&c->frame);
  free(c->window), free(c->sounding), free(c->silent);
  memset(c, 0, sizeof *c);
}
