#include "apps/avloc/peaks.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Maps larger than this a side are searched on every s-th pixel (s the
 * smallest step that brings them under it), each peak then climbs to the
 * full map's local maximum: the maps are smooth (a coarse grid resized), and
 * a 720p frame costs what a 256 x 144 one does. Boxes are then exact to s
 * pixels. */
#define SEARCH_SIDE 256

struct avloc_peaks {
  int w, h;      /* the map */
  int s, sw, sh; /* the step and the searched grid */
  float *sub;    /* the searched grid when s > 1 */
  int *label;    /* region of each grid point (0: not labelled yet), for the boxes */
  int *queue;    /* flood fill */
  int *cand;     /* candidate grid points */
};

avloc_peaks *avloc_peaks_new(int w, int h) {
  avloc_peaks *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  int side = w > h ? w : h;
  p->w = w, p->h = h, p->s = (side + SEARCH_SIDE - 1) / SEARCH_SIDE;
  p->sw = (w + p->s - 1) / p->s, p->sh = (h + p->s - 1) / p->s;
  size_t n = (size_t)p->sw * p->sh;
  p->label = malloc(n * sizeof(int)), p->queue = malloc(n * sizeof(int)), p->cand = malloc(n * sizeof(int));
  if (p->s > 1) p->sub = malloc(n * sizeof(float));
  if (!p->label || !p->queue || !p->cand || (p->s > 1 && !p->sub)) avloc_peaks_free(&p);
  return p;
}

void avloc_peaks_free(avloc_peaks **p) {
  if (!*p) return;
  free((*p)->label), free((*p)->queue), free((*p)->cand), free((*p)->sub);
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
  int w = p->sw, h = p->sh, head = 0, tail = 0;
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

/* From (*x, *y) up the full map to its local maximum. */
static void climb(const float *heat, int w, int h, int *x, int *y) {
  for (int moved = 1; moved;) {
    moved = 0;
    int bx = *x, by = *y;
    for (int dy = -1; dy <= 1; dy++)
      for (int dx = -1; dx <= 1; dx++) {
        int nx = *x + dx, ny = *y + dy;
        if (nx >= 0 && ny >= 0 && nx < w && ny < h && heat[(size_t)ny * w + nx] > heat[(size_t)by * w + bx])
          bx = nx, by = ny;
      }
    if (bx != *x || by != *y) *x = bx, *y = by, moved = 1;
  }
}

int avloc_peaks_find(avloc_peaks *p, const float *heat, avloc_peak *out) {
  int w = p->sw, h = p->sh, s = p->s, nc = 0, found = 0;
  const float *map = heat;
  if (s > 1) {
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) p->sub[y * w + x] = heat[(size_t)y * s * p->w + (size_t)x * s];
    map = p->sub;
  }
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      if (map[y * w + x] >= AVLOC_PEAK_MIN && is_peak(map, w, h, x, y)) p->cand[nc++] = y * w + x;
  if (!nc) return 0;
  sort_heat = map;
  qsort(p->cand, (size_t)nc, sizeof(int), by_score);
  float r = (float)(p->w > p->h ? p->w : p->h) / 10;
  memset(p->label, 0, sizeof(int) * (size_t)w * h);
  for (int c = 0; c < nc && found < AVLOC_MAX_PEAKS; c++) {
    int i = p->cand[c], x = i % w * s, y = i / w * s;
    climb(heat, p->w, p->h, &x, &y);
    bool near = false;
    for (int k = 0; k < found && !near; k++) {
      float dx = (float)(x - out[k].x), dy = (float)(y - out[k].y);
      near = dx * dx + dy * dy < r * r;
    }
    if (near) continue;
    avloc_peak *pk = &out[found++];
    pk->x = x, pk->y = y, pk->score = heat[(size_t)y * p->w + x];
    if (p->label[i]) { /* in the region of a stronger peak (labelled with its number): the same box */
      memcpy(pk->box, out[p->label[i] - 1].box, sizeof pk->box);
    } else {
      int b[4];
      region_box(p, map, i, found, b);
      pk->box[0] = b[0] * s, pk->box[1] = b[1] * s;
      pk->box[2] = b[2] * s < p->w ? b[2] * s : p->w, pk->box[3] = b[3] * s < p->h ? b[3] * s : p->h;
    }
    /* On a searched grid the climb may end just outside the grid's box. */
    if (x < pk->box[0]) pk->box[0] = x;
    if (y < pk->box[1]) pk->box[1] = y;
    if (x >= pk->box[2]) pk->box[2] = x + 1;
    if (y >= pk->box[3]) pk->box[3] = y + 1;
  }
  return found;
}
