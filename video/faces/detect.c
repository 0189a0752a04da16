/* detectMultiScale: levels planned as OpenCV plans its scales, each level
 * shrunk, integrated and scanned by one thread, hits merged in level order
 * and grouped. Feature offsets are computed once per image size: every level
 * uses the stride of the full-size image. Haar cascades of stumps (the
 * frontal-face default) are scanned a row at a time, eight windows at once
 * where the CPU has AVX2 (haar_avx2.c); a step-2 level's planes are then split
 * into even and odd columns, so that its windows are consecutive. */
#include "video/faces/detect.h"

#include <math.h>
#include <omp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "av/status.h"
#include "video/faces/haar.h"
#include "video/faces/pyramid.h"

#define GROUP_EPS 0.2
/* Planes are readable this far past their end: the AVX2 scan's last block
 * reads up to 7 windows beyond the row. */
#define PLANE_PAD 32

typedef void (*haar_row_fn)(const haar_layout *L, const uint32_t *row, int n, int *res);

typedef struct {
  int ofs[16]; /* the 4 x 4 corner grid of the 3 x 3 cells */
} lbp_opt;

typedef struct {
  int feature, node;
  float threshold, left, right;
} stump;

typedef struct {
  float scale;
  int w, h;  /* the shrunk image */
  int step;  /* window step */
} level;

typedef struct {
  avs_face_rect *r;
  int n, cap;
} hits;

typedef struct {
  uint8_t *img;
  uint32_t *planes; /* sum | sum of squares (Haar) | tilted (if any) */
  void *rs;         /* resize scratch */
  uint32_t *ts;     /* tilted scratch */
  uint32_t *split;  /* Haar stumps: the planes of a step-2 level, even and odd columns apart */
  int *res;         /* Haar stumps: one row's results */
} worker;

struct avs_faces {
  const avs_cascade *c;
  avs_faces_params p;
  stump *stumps;    /* when the cascade is made of stumps (LBP's scan; Haar's rows are built from them) */
  haar_layout rows[2]; /* Haar stumps: the planes as integrated (step-1 levels), split (step-2 levels) */
  haar_row_fn row_fn;
  int img_w, img_h; /* what the offsets and scratch below are for */
  int stride;
  size_t plane;
  int half_stride;      /* a split plane's row */
  size_t half_plane;    /* a split plane, padded */
  haar_feature *haar;
  lbp_opt *lbp;
  level *levels;
  hits *hits;
  int n_levels, cap_levels;
  worker *workers;
  int n_workers;
  avs_face_rect *out;
  int out_cap;
};

static inline int cell(const uint32_t *p, const int *o, int a, int b, int c, int d) {
  return (int32_t)(p[o[a]] - p[o[b]] - p[o[c]] + p[o[d]]);
}

/* The 8-bit code: each outer cell against the centre, clockwise from the top left. */
static inline int lbp_code(const lbp_opt *f, const uint32_t *p) {
  const int *o = f->ofs;
  int cv = cell(p, o, 5, 6, 9, 10);
  return (cell(p, o, 0, 1, 4, 5) >= cv ? 128 : 0) | (cell(p, o, 1, 2, 5, 6) >= cv ? 64 : 0) |
         (cell(p, o, 2, 3, 6, 7) >= cv ? 32 : 0) | (cell(p, o, 6, 7, 10, 11) >= cv ? 16 : 0) |
         (cell(p, o, 10, 11, 14, 15) >= cv ? 8 : 0) | (cell(p, o, 9, 10, 13, 14) >= cv ? 4 : 0) |
         (cell(p, o, 8, 9, 12, 13) >= cv ? 2 : 0) | (cell(p, o, 4, 5, 8, 9) >= cv ? 1 : 0);
}

static inline bool in_subset(const int32_t *subset, int code) {
  return ((uint32_t)subset[code >> 5] >> (code & 31)) & 1u;
}

/* One window of a Haar cascade of trees (haar.h's values): 1 when every stage
 * passes, else -(the stage that failed), or -1 for a window too flat to
 * normalise (OpenCV's setWindow refusing it). */
static int eval_haar_trees(const avs_faces *d, const uint32_t *p) {
  const avs_cascade *c = d->c;
  float vnf = haar_norm(&d->rows[0], p);
  if (vnf == 0.0f) return -1;
  for (int si = 0; si < c->n_stages; si++) {
    const avs_cascade_stage *st = &c->stages[si];
    double sum = 0;
    for (int t = st->first_tree; t < st->first_tree + st->n_trees; t++) {
      const avs_cascade_tree *tr = &c->trees[t];
      int idx = 0;
      do {
        const avs_cascade_node *n = &c->nodes[tr->first_node + idx];
        float v = haar_value(&d->haar[n->feature], p) * vnf;
        idx = v < n->threshold ? n->left : n->right;
      } while (idx > 0);
      sum += c->leaves[tr->first_leaf - idx];
    }
    if (sum < st->threshold) return -si;
  }
  return 1;
}

/* haar_row_avx2's contract, one window at a time. */
static void haar_row_scalar(const haar_layout *L, const uint32_t *row, int n, int *res) {
  for (int i = 0; i < n; i++) {
    float vnf = haar_norm(L, row + i);
    res[i] = vnf == 0.0f ? -1 : haar_stages(L, row + i, vnf, 0);
    if (res[i] == 0 && i + 1 < n) res[++i] = HAAR_SKIPPED;
  }
}

/* One LBP window: 1 when every stage passes, else -(the stage that failed). */
static int eval_lbp(const avs_faces *d, const uint32_t *p) {
  const avs_cascade *c = d->c;
  if (d->stumps) {
    const stump *s = d->stumps;
    for (int si = 0; si < c->n_stages; si++) {
      const avs_cascade_stage *st = &c->stages[si];
      double sum = 0;
      for (int t = 0; t < st->n_trees; t++, s++) {
        int code = lbp_code(&d->lbp[s->feature], p);
        sum += in_subset(c->subsets + (size_t)s->node * 8, code) ? s->left : s->right;
      }
      if (sum < st->threshold) return -si;
    }
    return 1;
  }
  for (int si = 0; si < c->n_stages; si++) {
    const avs_cascade_stage *st = &c->stages[si];
    double sum = 0;
    for (int t = st->first_tree; t < st->first_tree + st->n_trees; t++) {
      const avs_cascade_tree *tr = &c->trees[t];
      int idx = 0;
      do {
        int node = tr->first_node + idx;
        const avs_cascade_node *n = &c->nodes[node];
        int code = lbp_code(&d->lbp[n->feature], p);
        idx = in_subset(c->subsets + (size_t)node * 8, code) ? n->left : n->right;
      } while (idx > 0);
      sum += c->leaves[tr->first_leaf - idx];
    }
    if (sum < st->threshold) return -si;
  }
  return 1;
}

static bool push(hits *h, avs_face_rect r) {
  if (h->n == h->cap) {
    int cap = h->cap ? 2 * h->cap : 64;
    avs_face_rect *m = realloc(h->r, (size_t)cap * sizeof *m);
    if (!m) return false;
    h->r = m;
    h->cap = cap;
  }
  h->r[h->n++] = r;
  return true;
}

/* The planes of a level (w x h pixels), each split into its even and odd columns. */
static void split_planes(const avs_faces *d, const uint32_t *planes, int n_planes, int w, int h, uint32_t *out) {
  int hs = d->half_stride;
  for (int pl = 0; pl < n_planes; pl++)
    for (int y = 0; y <= h; y++) {
      const uint32_t *src = planes + pl * d->plane + (size_t)y * d->stride;
      uint32_t *even = out + 2 * pl * d->half_plane + (size_t)y * hs, *odd = even + d->half_plane;
      for (int x = 0; x <= w; x++) (x & 1 ? odd : even)[x >> 1] = src[x];
    }
}

static bool push_level_rect(hits *out, const level *lv, int x, int y, int bw, int bh) {
  return push(out, (avs_face_rect){(int)lrintf(x * lv->scale), (int)lrintf(y * lv->scale), bw, bh});
}

/* A level of a Haar stump cascade, row by row (d->row_fn). */
static bool scan_rows(const avs_faces *d, const worker *wk, const level *lv, int ww, int wh, int bw, int bh,
                      hits *out) {
  bool split = lv->step == 2;
  const uint32_t *base = wk->planes;
  size_t row_stride = (size_t)d->stride;
  if (split) {
    split_planes(d, wk->planes, d->c->has_tilted ? 3 : 2, lv->w, lv->h, wk->split);
    base = wk->split;
    row_stride = (size_t)d->half_stride;
  }
  int n = (ww + lv->step - 1) / lv->step;
  for (int y = 0; y < wh; y += lv->step) {
    d->row_fn(&d->rows[split], base + y * row_stride, n, wk->res);
    for (int i = 0; i < n; i++)
      if (wk->res[i] > 0 && !push_level_rect(out, lv, i * lv->step, y, bw, bh)) return false;
  }
  return true;
}

/* Shrinks, integrates and scans one level; false when out of memory. */
static bool scan_level(const avs_faces *d, const worker *wk, const uint8_t *gray, int stride, const level *lv,
                       hits *out) {
  const avs_cascade *c = d->c;
  bool haar = c->kind == AVS_CASCADE_HAAR;
  uint32_t *sum = wk->planes;
  avs_faces_resize(gray, d->img_w, d->img_h, stride, wk->img, lv->w, lv->h, wk->rs);
  avs_faces_integral(wk->img, lv->w, lv->h, d->stride, sum, haar ? sum + d->plane : NULL,
                     c->has_tilted ? sum + 2 * d->plane : NULL, wk->ts);
  int ww = lv->w + 1 - c->win_w, wh = lv->h + 1 - c->win_h;
  int bw = (int)lrintf(c->win_w * lv->scale), bh = (int)lrintf(c->win_h * lv->scale);
  out->n = 0;
  if (d->row_fn) return scan_rows(d, wk, lv, ww, wh, bw, bh, out);
  for (int y = 0; y < wh; y += lv->step)
    for (int x = 0; x < ww; x += lv->step) {
      const uint32_t *p = sum + (size_t)y * d->stride + x;
      int r = haar ? eval_haar_trees(d, p) : eval_lbp(d, p);
      if (r > 0 && !push_level_rect(out, lv, x, y, bw, bh)) return false;
      if (r == 0) x += lv->step; /* failed the first stage: skip the next position (as OpenCV) */
    }
  return true;
}

static bool add_level(avs_faces *d, float sc, int W, int H) {
  if (d->n_levels == d->cap_levels) {
    int cap = d->cap_levels ? 2 * d->cap_levels : 64;
    level *l = realloc(d->levels, (size_t)cap * sizeof *l);
    if (l) d->levels = l;
    hits *h = l ? realloc(d->hits, (size_t)cap * sizeof *h) : NULL;
    if (!h) return false;
    memset(h + d->cap_levels, 0, (size_t)(cap - d->cap_levels) * sizeof *h);
    d->hits = h;
    d->cap_levels = cap;
  }
  d->levels[d->n_levels++] = (level){sc, (int)lrintf((float)W / sc), (int)lrintf((float)H / sc), sc >= 2 ? 1 : 2};
  return true;
}

/* The scales OpenCV would scan: factor 1, f, f^2 ... while the window fits the
 * image, less those outside [min, max] size; when that leaves none, the one
 * whose window is nearest the minimum size. */
static int plan_levels(avs_faces *d, int W, int H) {
  const avs_cascade *c = d->c;
  int max_w = d->p.max_w > 0 ? d->p.max_w : W, max_h = d->p.max_h > 0 ? d->p.max_h : H;
  d->n_levels = 0;
  if (W < c->win_w || H < c->win_h) return 0;
  bool stop = false;
  float nearest = 0;
  double best = INFINITY;
  for (double f = 1;; f *= d->p.scale_factor) {
    if ((int)lrint(c->win_w * f) > W || (int)lrint(c->win_h * f) > H) break;
    float sc = (float)f;
    int bw = (int)lrintf(c->win_w * sc), bh = (int)lrintf(c->win_h * sc);
    double dist = (double)(d->p.min_w - bw) * (d->p.min_w - bw) + (double)(d->p.min_h - bh) * (d->p.min_h - bh);
    if (dist < best) best = dist, nearest = sc;
    stop |= bw > max_w || bh > max_h;
    if (stop || bw < d->p.min_w || bh < d->p.min_h) continue;
    if (!add_level(d, sc, W, H)) return avs_seterr(AVS_ENOMEM, "out of memory planning detection levels");
  }
  if (!d->n_levels && nearest > 0 && !add_level(d, nearest, W, H))
    return avs_seterr(AVS_ENOMEM, "out of memory planning detection levels");
  return 0;
}

/* OpenCV's clipObjects: boxes cut to the image, empty ones dropped. */
static int clip(avs_face_rect *r, int n, int W, int H) {
  int k = 0;
  for (int i = 0; i < n; i++) {
    int x0 = r[i].x > 0 ? r[i].x : 0, y0 = r[i].y > 0 ? r[i].y : 0;
    int x1 = r[i].x + r[i].w < W ? r[i].x + r[i].w : W, y1 = r[i].y + r[i].h < H ? r[i].y + r[i].h : H;
    if (x1 > x0 && y1 > y0) r[k++] = (avs_face_rect){x0, y0, x1 - x0, y1 - y0};
  }
  return k;
}

/* Where point (x, y) of plane pl (0 sums, 1 squares, 2 tilted) lies from a
 * window's corner, in the planes as integrated or split (haar.h). */
static int plane_ofs(const avs_faces *d, bool split, int pl, int x, int y) {
  if (!split) return (int)(pl * d->plane) + x + d->stride * y;
  return (int)((2 * pl + (x & 1)) * d->half_plane) + (x >> 1) + d->half_stride * y;
}

static void corners(const avs_faces *d, bool split, int pl, int o[4], int x, int y, int w, int h) {
  o[0] = plane_ofs(d, split, pl, x, y);
  o[1] = plane_ofs(d, split, pl, x + w, y);
  o[2] = plane_ofs(d, split, pl, x, y + h);
  o[3] = plane_ofs(d, split, pl, x + w, y + h);
}

static void tilted_corners(const avs_faces *d, bool split, int o[4], int x, int y, int w, int h) {
  o[0] = plane_ofs(d, split, 2, x, y);
  o[1] = plane_ofs(d, split, 2, x - h, y + h);
  o[2] = plane_ofs(d, split, 2, x + w, y + w);
  o[3] = plane_ofs(d, split, 2, x + w - h, y + w + h);
}

static haar_feature haar_feature_at(const avs_faces *d, bool split, const avs_cascade_feature *f) {
  haar_feature h;
  for (int k = 0; k < 3; k++) {
    const avs_cascade_rect *r = &f->rect[k];
    h.w[k] = r->weight;
    if (f->tilted) tilted_corners(d, split, h.ofs[k], r->x, r->y, r->w, r->h);
    else corners(d, split, 0, h.ofs[k], r->x, r->y, r->w, r->h);
  }
  return h;
}

static void feature_offsets(avs_faces *d) {
  const avs_cascade *c = d->c;
  int s = d->stride;
  for (int i = 0; i < c->n_features; i++) {
    const avs_cascade_feature *f = &c->features[i];
    if (c->kind == AVS_CASCADE_LBP) {
      const avs_cascade_rect *r = &f->rect[0];
      for (int k = 0; k < 16; k++) d->lbp[i].ofs[k] = (r->x + (k % 4) * r->w) + (r->y + (k / 4) * r->h) * s;
    } else {
      d->haar[i] = haar_feature_at(d, false, f);
    }
  }
  if (c->kind != AVS_CASCADE_HAAR) return;
  for (int split = 0; split < 2; split++) {
    haar_layout *L = &d->rows[split];
    corners(d, split, 0, L->nofs, 1, 1, c->win_w - 2, c->win_h - 2);
    corners(d, split, 1, L->qofs, 1, 1, c->win_w - 2, c->win_h - 2);
    for (int t = 0; L->stumps && t < c->n_trees; t++) {
      const stump *st = &d->stumps[t];
      L->stumps[t] = (haar_stump){haar_feature_at(d, split, &c->features[st->feature]), st->threshold, st->left,
                                  st->right};
    }
  }
}

static void workers_free(avs_faces *d) {
  for (int i = 0; i < d->n_workers; i++) {
    free(d->workers[i].img);
    free(d->workers[i].planes);
    free(d->workers[i].rs);
    free(d->workers[i].ts);
    free(d->workers[i].split);
    free(d->workers[i].res);
  }
  free(d->workers);
  d->workers = NULL;
  d->n_workers = 0;
}

/* Offsets and scratch for W x H images and nt threads (kept while they stay the same). */
static int prepare(avs_faces *d, int W, int H, int nt) {
  if (d->img_w == W && d->img_h == H && d->n_workers == nt) return 0;
  const avs_cascade *c = d->c;
  workers_free(d);
  d->img_w = d->img_h = 0;
  d->stride = W + 1;
  d->plane = (size_t)(W + 1) * (H + 1);
  d->half_stride = (W + 2) / 2;
  d->half_plane = (size_t)d->half_stride * (H + 1) + PLANE_PAD;
  if (d->plane * 3 + PLANE_PAD > INT32_MAX || d->half_plane * 6 > INT32_MAX)
    return avs_seterr(AVS_EINVAL, "image too large for face detection (%dx%d)", W, H);
  int planes = c->kind == AVS_CASCADE_LBP ? 1 : c->has_tilted ? 3 : 2;
  d->workers = calloc((size_t)nt, sizeof *d->workers);
  if (!d->workers) return avs_seterr(AVS_ENOMEM, "out of memory for face detection");
  d->n_workers = nt;
  for (int i = 0; i < nt; i++) {
    worker *wk = &d->workers[i];
    wk->img = malloc((size_t)W * H);
    /* calloc: the padding that the row scan reads (and throws away) is defined */
    wk->planes = calloc(d->plane * planes + PLANE_PAD, sizeof *wk->planes);
    wk->rs = malloc(avs_faces_resize_scratch(W, H));
    wk->ts = malloc(2 * ((size_t)W + H) * sizeof *wk->ts);
    if (d->row_fn) {
      wk->split = calloc(d->half_plane * 2 * planes, sizeof *wk->split);
      wk->res = malloc(((size_t)W + 1) * sizeof *wk->res);
    }
    if (!wk->img || !wk->planes || !wk->rs || !wk->ts || (d->row_fn && (!wk->split || !wk->res))) {
      workers_free(d);
      return avs_seterr(AVS_ENOMEM, "out of memory for face detection (%dx%d)", W, H);
    }
  }
  feature_offsets(d);
  d->img_w = W;
  d->img_h = H;
  return 0;
}

int avs_faces_new(const avs_cascade *c, const avs_faces_params *p, avs_faces **out) {
  *out = NULL;
  if (!(p->scale_factor > 1.0) || p->scale_factor > 100 || p->min_neighbors < 0 || p->min_w < 0 || p->min_h < 0 ||
      p->max_w < 0 || p->max_h < 0)
    return avs_seterr(AVS_EINVAL, "face detection: scale factor must be > 1, neighbours and sizes >= 0");
  avs_faces *d = calloc(1, sizeof *d);
  if (!d) return avs_seterr(AVS_ENOMEM, "out of memory");
  d->c = c;
  d->p = *p;
  d->haar = c->kind == AVS_CASCADE_HAAR ? calloc((size_t)c->n_features, sizeof *d->haar) : NULL;
  d->lbp = c->kind == AVS_CASCADE_LBP ? calloc((size_t)c->n_features, sizeof *d->lbp) : NULL;
  d->stumps = c->stumps ? calloc((size_t)c->n_trees, sizeof *d->stumps) : NULL;
  bool rows = c->kind == AVS_CASCADE_HAAR && c->stumps;
  for (int k = 0; k < 2; k++) {
    d->rows[k].c = c;
    d->rows[k].norm_area = (double)(c->win_w - 2) * (c->win_h - 2);
    d->rows[k].stumps = rows ? calloc((size_t)c->n_trees, sizeof *d->rows[k].stumps) : NULL;
  }
  if ((!d->haar && !d->lbp) || (c->stumps && !d->stumps) || (rows && (!d->rows[0].stumps || !d->rows[1].stumps))) {
    avs_faces_free(&d);
    return avs_seterr(AVS_ENOMEM, "out of memory");
  }
  if (rows) avs_faces_set_simd(d, true);
  for (int t = 0; c->stumps && t < c->n_trees; t++) {
    const avs_cascade_tree *tr = &c->trees[t];
    const avs_cascade_node *n = &c->nodes[tr->first_node];
    /* A stump's children are leaves: left -> leaf -left, right -> leaf -right. */
    d->stumps[t] = (stump){n->feature, tr->first_node, n->threshold, c->leaves[tr->first_leaf - n->left],
                           c->leaves[tr->first_leaf - n->right]};
  }
  *out = d;
  return 0;
}

bool avs_faces_set_simd(avs_faces *d, bool on) {
  if (!d->rows[0].stumps) return false; /* not a Haar stump cascade: scanned window by window */
  on = on && __builtin_cpu_supports("avx2");
  d->row_fn = on ? haar_row_avx2 : haar_row_scalar;
  return on;
}

void avs_faces_free(avs_faces **d) {
  if (!*d) return;
  avs_faces *f = *d;
  workers_free(f);
  for (int i = 0; i < f->cap_levels; i++) free(f->hits[i].r);
  free(f->hits);
  free(f->levels);
  free(f->haar);
  free(f->lbp);
  free(f->stumps);
  free(f->rows[0].stumps);
  free(f->rows[1].stumps);
  free(f->out);
  free(f);
  *d = NULL;
}

int avs_faces_detect(avs_faces *d, const uint8_t *gray, int w, int h, int stride, const avs_face_rect **rects,
                     int *n) {
  *rects = NULL;
  *n = 0;
  if (w <= 0 || h <= 0 || stride < w) return avs_seterr(AVS_EINVAL, "face detection: bad image size %dx%d", w, h);
  int rc = plan_levels(d, w, h);
  if (rc || !d->n_levels) return rc;
  int nt = omp_get_max_threads();
  if (nt > d->n_levels) nt = d->n_levels;
  if ((rc = prepare(d, w, h, nt))) return rc;
  bool ok = true;
#pragma omp parallel num_threads(nt) reduction(&& : ok)
  {
    const worker *wk = &d->workers[omp_get_thread_num()];
#pragma omp for schedule(dynamic, 1)
    for (int i = 0; i < d->n_levels; i++) ok = scan_level(d, wk, gray, stride, &d->levels[i], &d->hits[i]) && ok;
  }
  if (!ok) return avs_seterr(AVS_ENOMEM, "out of memory collecting face detections");
  int total = 0;
  for (int i = 0; i < d->n_levels; i++) total += d->hits[i].n;
  if (total > d->out_cap) {
    avs_face_rect *o = realloc(d->out, (size_t)total * sizeof *o);
    if (!o) return avs_seterr(AVS_ENOMEM, "out of memory collecting face detections");
    d->out = o;
    d->out_cap = total;
  }
  total = 0;
  for (int i = 0; i < d->n_levels; i++) {
    if (d->hits[i].n) /* an empty level may have no buffer: memcpy's pointers must not be NULL */
      memcpy(d->out + total, d->hits[i].r, (size_t)d->hits[i].n * sizeof *d->out);
    total += d->hits[i].n;
  }
  int kept = avs_faces_group(d->out, total, d->p.min_neighbors, GROUP_EPS, NULL);
  if (kept < 0) return kept;
  *rects = d->out;
  *n = clip(d->out, kept, w, h);
  return 0;
}
