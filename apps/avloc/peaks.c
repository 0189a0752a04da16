#include "apps/avloc/peaks.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct avloc_peaks {
  int w, h;
  int *label; /* region of each pixel (0: not labelled yet), for the boxes */
  int *queue; /* flood fill */
  int *cand;  /* candidate pixels */
};

avloc_peaks *avloc_peaks_new(int w, int h) {
  avloc_peaks *p = calloc(1, sizeof *p);
  size_t n = (size_t)w * h;
  if (!p) return NULL;
  p->w = w, p->h = h;
  p->label = malloc(n * sizeof(int)), p->queue = malloc(n * sizeof(int)), p->cand = malloc(n * sizeof(int));
  if (!p->label || !p->queue || !p->cand) avloc_peaks_free(&p);
  return p;
}

void avloc_peaks_free(avloc_peaks **p) {
  if (!*p) return;
  free((*p)->label), free((*p)->queue), free((*p)->cand);
  free(*p);
  *p = NULL;
}

/* A local maximum over its 8 neighbours; on a plateau only its first pixel in
 * raster order counts (strictly above the neighbours before it). */
static int is_peak(const float *heat, int w, int h, int x, int y) {
  float v = heat[(size_t)y * w + x];
  for (int dy = -1; dy <= 1; dy++)
    for (int dx = -1; dx <= 1; dx++) {
      int nx = x + dx, ny = y + dy;
      if ((!dx && !dy) || nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
      float u = heat[(size_t)ny * w + nx];
      bool before = dy < 0 || (dy == 0 && dx < 0);
      if (u > v || (before && u == v)) return 0;
    }
  return 1;
}

static const float *sort_heat;
static int by_score(const void *a, const void *b) {
  float va = sort_heat[*(const int *)a], vb = sort_heat[*(const int *)b];
  if (va != vb) return va < vb ? 1 : -1;
  return *(const int *)a - *(const int *)b;
}

/* Labels the 4-connected region >= AVLOC_PEAK_MIN around pixel i as `id`
 * and returns its bounding box. */
static void region_box(avloc_peaks *p, const float *heat, int i, int id, int box[4]) {
  int w = p->w, h = p->h, head = 0, tail = 0;
  box[0] = w, box[1] = h, box[2] = 0, box[3] = 0;
  p->label[i] = id, p->queue[tail++] = i;
  while (head < tail) {
    int j = p->queue[head++], x = j % w, y = j / w;
    if (x < box[0]) box[0] = x;
    if (y < box[1]) box[1] = y;
    if (x + 1 > box[2]) box[2] = x + 1;
    if (y + 1 > box[3]) box[3] = y + 1;
    const int nb[4][2] = {{x - 1, y}, {x + 1, y}, {x, y - 1}, {x, y + 1}};
    for (int k = 0; k < 4; k++) {
      int nx = nb[k][0], ny = nb[k][1];
      if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
      int n = ny * w + nx;
      if (!p->label[n] && heat[n] >= AVLOC_PEAK_MIN) p->label[n] = id, p->queue[tail++] = n;
    }
  }
}

int avloc_peaks_find(avloc_peaks *p, const float *heat, avloc_peak *out) {
  int w = p->w, h = p->h, nc = 0, found = 0;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      if (heat[(size_t)y * w + x] >= AVLOC_PEAK_MIN && is_peak(heat, w, h, x, y)) p->cand[nc++] = y * w + x;
  if (!nc) return 0;
  sort_heat = heat;
  qsort(p->cand, (size_t)nc, sizeof(int), by_score);
  float r = (float)(w > h ? w : h) / 10;
  memset(p->label, 0, sizeof(int) * (size_t)w * h);
  for (int c = 0; c < nc && found < AVLOC_MAX_PEAKS; c++) {
    int i = p->cand[c], x = i % w, y = i / w;
    bool near = false;
    for (int k = 0; k < found && !near; k++) {
      float dx = (float)(x - out[k].x), dy = (float)(y - out[k].y);
      near = dx * dx + dy * dy < r * r;
    }
    if (near) continue;
    avloc_peak *pk = &out[found++];
    pk->x = x, pk->y = y, pk->score = heat[i];
    if (p->label[i]) { /* in the region of a stronger peak: the same box */
      for (int k = 0; k < found - 1; k++)
        if (p->label[out[k].y * w + out[k].x] == p->label[i]) memcpy(pk->box, out[k].box, sizeof pk->box);
    } else {
      region_box(p, heat, i, found, pk->box);
    }
  }
  return found;
}
