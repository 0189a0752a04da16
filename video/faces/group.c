/* groupRectangles: union-find over "similar" pairs, then means and the
 * nested-group filter. Arithmetic as OpenCV's (float means rounded half to
 * even) so the boxes come out the same. */
#include "video/faces/group.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "av/status.h"

static bool similar(const avs_face_rect *a, const avs_face_rect *b, double eps) {
  double delta = eps * ((a->w < b->w ? a->w : b->w) + (a->h < b->h ? a->h : b->h)) * 0.5;
  return abs(a->x - b->x) <= delta && abs(a->y - b->y) <= delta && abs(a->x + a->w - b->x - b->w) <= delta &&
         abs(a->y + a->h - b->y - b->h) <= delta;
}

static int find(int *parent, int i) {
  while (parent[i] != i) {
    parent[i] = parent[parent[i]];
    i = parent[i];
  }
  return i;
}

/* Whether group i lies in group j as OpenCV's filter of small faces inside large ones asks. */
static bool swallowed(const avs_face_rect *r1, int n1, const avs_face_rect *r2, int n2, double eps) {
  int dx = (int)lrint(r2->w * eps), dy = (int)lrint(r2->h * eps);
  return r1->x >= r2->x - dx && r1->y >= r2->y - dy && r1->x + r1->w <= r2->x + r2->w + dx &&
         r1->y + r1->h <= r2->y + r2->h + dy && (n2 > (n1 > 3 ? n1 : 3) || n1 < 3);
}

int avs_faces_group(avs_face_rect *r, int n, int threshold, double eps, int *weights) {
  if (threshold <= 0 || n == 0) {
    for (int i = 0; weights && i < n; i++) weights[i] = 1;
    return n;
  }
  int *parent = malloc(3 * (size_t)n * sizeof *parent);
  int64_t(*sums)[4] = calloc((size_t)n, sizeof *sums);
  avs_face_rect *mean = malloc((size_t)n * sizeof *mean);
  if (!parent || !sums || !mean) {
    free(parent);
    free(sums);
    free(mean);
    return avs_seterr(AVS_ENOMEM, "out of memory grouping detections");
  }
  int *label = parent + n, *count = label + n;
  for (int i = 0; i < n; i++) parent[i] = i;
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++)
      if (similar(&r[i], &r[j], eps)) {
        int a = find(parent, i), b = find(parent, j);
        if (a != b) parent[a > b ? a : b] = a < b ? a : b;
      }
  /* Classes numbered in the order of their first member; label[] is read at roots. */
  int classes = 0;
  for (int i = 0; i < n; i++) label[i] = -1;
  for (int i = 0; i < n; i++) {
    int root = find(parent, i);
    if (label[root] < 0) label[root] = classes++;
  }
  for (int c = 0; c < classes; c++) count[c] = 0;
  for (int i = 0; i < n; i++) {
    int c = label[find(parent, i)];
    sums[c][0] += r[i].x;
    sums[c][1] += r[i].y;
    sums[c][2] += r[i].w;
    sums[c][3] += r[i].h;
    count[c]++;
  }
  for (int c = 0; c < classes; c++) {
    float s = 1.f / count[c];
    mean[c] = (avs_face_rect){(int)lrintf((float)sums[c][0] * s), (int)lrintf((float)sums[c][1] * s),
                              (int)lrintf((float)sums[c][2] * s), (int)lrintf((float)sums[c][3] * s)};
  }
  int kept = 0;
  for (int i = 0; i < classes; i++) {
    if (count[i] <= threshold) continue;
    bool inside = false;
    for (int j = 0; j < classes && !inside; j++)
      inside = j != i && count[j] > threshold && swallowed(&mean[i], count[i], &mean[j], count[j], eps);
    if (inside) continue;
    if (weights) weights[kept] = count[i];
    r[kept++] = mean[i];
  }
  free(parent);
  free(sums);
  free(mean);
  return kept;
}
