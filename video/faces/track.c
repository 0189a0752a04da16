/* Greedy IoU association: all (track, box) pairs above the threshold, taken
 * best first, each track and box once. Enough for the handful of faces of a
 * frame (n * tracks pairs). */
#include "video/faces/track.h"

#include <stdlib.h>

#include "av/status.h"

typedef struct {
  avs_face_rect r;
  int id, missed;
} track;

struct avs_face_tracker {
  double iou_min;
  int max_missed, next_id;
  track *tracks;
  int n, cap;
};

typedef struct {
  double iou;
  int track, box;
} pair;

double avs_face_iou(const avs_face_rect *a, const avs_face_rect *b) {
  int x0 = a->x > b->x ? a->x : b->x, y0 = a->y > b->y ? a->y : b->y;
  int x1 = a->x + a->w < b->x + b->w ? a->x + a->w : b->x + b->w;
  int y1 = a->y + a->h < b->y + b->h ? a->y + a->h : b->y + b->h;
  double inter = x1 > x0 && y1 > y0 ? (double)(x1 - x0) * (y1 - y0) : 0;
  double uni = (double)a->w * a->h + (double)b->w * b->h - inter;
  return uni > 0 && a->w > 0 && a->h > 0 && b->w > 0 && b->h > 0 ? inter / uni : 0;
}

int avs_face_tracker_new(double iou_min, int max_missed, avs_face_tracker **out) {
  *out = NULL;
  if (!(iou_min > 0 && iou_min <= 1) || max_missed < 0)
    return avs_seterr(AVS_EINVAL, "face tracker: IoU threshold must be in (0, 1], missed frames >= 0");
  avs_face_tracker *t = calloc(1, sizeof *t);
  if (!t) return avs_seterr(AVS_ENOMEM, "out of memory");
  t->iou_min = iou_min;
  t->max_missed = max_missed;
  t->next_id = 1;
  *out = t;
  return 0;
}

void avs_face_tracker_free(avs_face_tracker **t) {
  if (!*t) return;
  free((*t)->tracks);
  free(*t);
  *t = NULL;
}

static int by_iou(const void *a, const void *b) {
  const pair *p = a, *q = b;
  if (p->iou != q->iou) return p->iou < q->iou ? 1 : -1;
  return p->track != q->track ? p->track - q->track : p->box - q->box; /* deterministic ties */
}

int avs_face_tracker_update(avs_face_tracker *t, const avs_face_rect *r, int n, int *ids) {
  if (t->n + n > t->cap) {
    int cap = 2 * (t->n + n) + 8;
    track *m = realloc(t->tracks, (size_t)cap * sizeof *m);
    if (!m) return avs_seterr(AVS_ENOMEM, "out of memory tracking faces");
    t->tracks = m;
    t->cap = cap;
  }
  pair *pairs = malloc(((size_t)t->n * n + 1) * sizeof *pairs);
  char *used = calloc((size_t)t->n + n + 1, 1);
  if (!pairs || !used) {
    free(pairs);
    free(used);
    return avs_seterr(AVS_ENOMEM, "out of memory tracking faces");
  }
  char *box_used = used + t->n;
  int np = 0;
  for (int i = 0; i < t->n; i++)
    for (int j = 0; j < n; j++) {
      double iou = avs_face_iou(&t->tracks[i].r, &r[j]);
      if (iou >= t->iou_min) pairs[np++] = (pair){iou, i, j};
    }
  qsort(pairs, (size_t)np, sizeof *pairs, by_iou);
  for (int k = 0; k < np; k++) {
    const pair *p = &pairs[k];
    if (used[p->track] || box_used[p->box]) continue;
    used[p->track] = box_used[p->box] = 1;
    ids[p->box] = t->tracks[p->track].id;
    t->tracks[p->track].r = r[p->box];
    t->tracks[p->track].missed = -1; /* 0 after the ageing below */
  }
  /* Age the tracks, drop the stale, then open new ones for the boxes left. */
  int kept = 0;
  for (int i = 0; i < t->n; i++) {
    track tr = t->tracks[i];
    if (++tr.missed <= t->max_missed) t->tracks[kept++] = tr;
  }
  t->n = kept;
  for (int j = 0; j < n; j++)
    if (!box_used[j]) {
      ids[j] = t->next_id++;
      t->tracks[t->n++] = (track){r[j], ids[j], 0};
    }
  free(pairs);
  free(used);
  return 0;
}
