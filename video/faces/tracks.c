/* Faces that stay on screen: detector and tracker frame by frame into a log,
 * then the selection (tracks.h). */
#include "video/faces/tracks.h"

#include <stdlib.h>
#include <string.h>

#include "av/status.h"
#include "video/faces/pyramid.h"
#include "video/faces/track.h"
#include "video/image.h"

struct avs_face_log {
  int frames, n_ids, cap;
  int *seen;          /* per track id - 1: frames with a box */
  float (*boxes)[4];  /* per track id - 1 and frame; x1 < 0: no box */
};

int avs_face_log_new(int frames, avs_face_log **out) {
  *out = NULL;
  if (frames < 1) return avs_seterr(AVS_EINVAL, "face log: %d frames", frames);
  if (!(*out = calloc(1, sizeof **out))) return avs_seterr(AVS_ENOMEM, "out of memory");
  (*out)->frames = frames;
  return 0;
}

void avs_face_log_free(avs_face_log **l) {
  if (!*l) return;
  free((*l)->seen), free((*l)->boxes), free(*l);
  *l = NULL;
}

static int grow(avs_face_log *l, int ids) {
  if (ids <= l->cap) return 0;
  int cap = l->cap ? 2 * l->cap : 16;
  while (cap < ids) cap *= 2;
  int *seen = realloc(l->seen, sizeof(int) * (size_t)cap);
  if (seen) l->seen = seen;
  float(*boxes)[4] = seen ? realloc(l->boxes, sizeof(float[4]) * (size_t)cap * l->frames) : NULL;
  if (!boxes) return avs_seterr(AVS_ENOMEM, "out of memory");
  l->boxes = boxes;
  for (int j = l->cap; j < cap; j++) {
    l->seen[j] = 0;
    for (int v = 0; v < l->frames; v++) l->boxes[(size_t)j * l->frames + v][2] = -1;
  }
  l->cap = cap;
  return 0;
}

int avs_face_log_add(avs_face_log *l, int v, const avs_face_rect *r, const int *ids, int n) {
  if (v < 0 || v >= l->frames) return avs_seterr(AVS_EINVAL, "face log: frame %d outside 0..%d", v, l->frames - 1);
  for (int i = 0; i < n; i++) {
    int id = ids[i] - 1;
    if (id < 0) return avs_seterr(AVS_EINVAL, "face log: track id %d (ids count from 1)", ids[i]);
    if (grow(l, id + 1)) return AVS_ENOMEM;
    if (id + 1 > l->n_ids) l->n_ids = id + 1;
    float *b = l->boxes[(size_t)id * l->frames + v];
    if (b[2] < 0) l->seen[id]++;
    b[0] = (float)r[i].x, b[1] = (float)r[i].y, b[2] = (float)(r[i].x + r[i].w), b[3] = (float)(r[i].y + r[i].h);
  }
  return 0;
}

void avs_face_tracks_release(avs_face_tracks *t) {
  for (int k = 0; k < t->n; k++) free(t->box[k]);
  memset(t, 0, sizeof *t);
}

int avs_face_log_tracks(const avs_face_log *l, avs_face_tracks *out) {
  int V = l->frames;
  memset(out, 0, sizeof *out);
  out->frames = V;
  bool *taken = calloc((size_t)(l->n_ids ? l->n_ids : 1), sizeof(bool));
  if (!taken) return avs_seterr(AVS_ENOMEM, "out of memory");
  for (;;) {
    int best = -1;
    for (int j = 0; j < l->n_ids; j++)
      if (!taken[j] && l->seen[j] * 4 >= V && (best < 0 || l->seen[j] > l->seen[best])) best = j;
    if (best < 0) break;
    taken[best] = true;
    if (out->n == AVS_FACE_TRACKS_MAX) {
      free(taken);
      avs_face_tracks_release(out);
      return avs_seterr(AVS_EUNSUPPORTED, "more than %d faces stay on screen", AVS_FACE_TRACKS_MAX);
    }
    float(*t)[4] = malloc(sizeof(float[4]) * (size_t)V);
    if (!t) {
      free(taken);
      avs_face_tracks_release(out);
      return avs_seterr(AVS_ENOMEM, "out of memory");
    }
    const float(*seen)[4] = l->boxes + (size_t)best * V;
    for (int v = 0; v < V; v++) {
      int u = -1;
      for (int d = 0; u < 0; d++) /* ends: the track has a box somewhere */
        if (v - d >= 0 && seen[v - d][2] >= 0) u = v - d;
        else if (v + d < V && seen[v + d][2] >= 0) u = v + d;
      memcpy(t[v], seen[u], sizeof t[v]);
    }
    out->box[out->n++] = t;
  }
  free(taken);
  return 0;
}

int avs_face_tracks_detect(const char *video, avs_faces *detector, double fps, int frames, avs_face_tracks *out) {
  memset(out, 0, sizeof *out);
  if (!(fps > 0) || frames < 1) return avs_seterr(AVS_EINVAL, "face tracks: %g frames/s, %d frames", fps, frames);
  avs_face_log *log = NULL;
  avs_face_tracker *tracker = NULL;
  avs_frame_cursor *cur = NULL;
  avs_image im = {0};
  uint8_t *gray = NULL;
  int *ids = NULL, ids_cap = 0, rc;
  if ((rc = avs_face_log_new(frames, &log)) ||
      (rc = avs_face_tracker_new(AVS_FACE_TRACK_IOU, AVS_FACE_TRACK_MISSED, &tracker)) ||
      (rc = avs_frame_cursor_open(video, &cur)))
    goto done;
  for (int v = 0; v < frames; v++) {
    if ((rc = avs_frame_cursor_at(cur, v / fps, &im))) goto done;
    if (!gray && !(gray = malloc((size_t)im.w * im.h))) {
      rc = avs_seterr(AVS_ENOMEM, "out of memory");
      goto done;
    }
    avs_faces_gray(im.px, (int64_t)im.w * im.h, gray);
    const avs_face_rect *r;
    int n;
    if ((rc = avs_faces_detect(detector, gray, im.w, im.h, im.w, &r, &n))) goto done;
    if (n > ids_cap) { /* grows only: most frames hold as many faces as the one before */
      int *more = realloc(ids, sizeof(int) * (size_t)n);
      if (!more) {
        rc = avs_seterr(AVS_ENOMEM, "out of memory");
        goto done;
      }
      ids = more, ids_cap = n;
    }
    if ((rc = avs_face_tracker_update(tracker, r, n, ids)) || (rc = avs_face_log_add(log, v, r, ids, n))) goto done;
  }
  rc = avs_face_log_tracks(log, out);
done:
  free(gray), free(ids);
  avs_image_release(&im);
  avs_frame_cursor_free(&cur);
  avs_face_tracker_free(&tracker);
  avs_face_log_free(&log);
  return rc;
}
