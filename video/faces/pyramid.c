/* Grey conversion, OpenCV's bit-exact bilinear shrink, integral images. */
#include "video/faces/pyramid.h"

#include <math.h>
#include <string.h>

void avs_faces_gray(const uint8_t *rgb, int64_t n, uint8_t *gray) {
  for (int64_t i = 0; i < n; i++, rgb += 3)
    gray[i] = (uint8_t)((rgb[0] * 4899 + rgb[1] * 9617 + rgb[2] * 1868 + 8192) >> 14);
}

/* One axis of INTER_LINEAR_EXACT: for each output position the first source
 * sample and its two weights in 1/256 (rounded half to even), and the range
 * [lo, hi) where both samples are inside; before lo the first sample repeats,
 * from hi on the last one. */
typedef struct {
  int *ofs;
  uint16_t *w; /* pairs */
  int lo, hi;
} axis;

static void axis_plan(int src, int dst, axis *a) {
  double scale = 1.0 / ((double)dst / src);
  a->lo = 0;
  a->hi = dst;
  for (int d = 0; d < dst; d++) {
    double f = scale * (d + 0.5) - 0.5;
    int i = (int)floor(f);
    a->ofs[d] = 0;
    a->w[2 * d] = 256;
    a->w[2 * d + 1] = 0;
    if (i >= 0 && src > 1) {
      if (i < src - 1) {
        uint16_t w1 = (uint16_t)nearbyint((f - i) * 256.0);
        a->ofs[d] = i;
        a->w[2 * d] = (uint16_t)(256 - w1);
        a->w[2 * d + 1] = w1;
      } else {
        a->ofs[d] = src - 1;
        if (d < a->hi) a->hi = d;
      }
    } else if (d + 1 > a->lo) {
      a->lo = d + 1;
    }
  }
  if (a->hi < a->lo) a->hi = a->lo;
}

/* A source row resampled horizontally, in 1/256 units. */
static void hline(const uint8_t *s, const axis *x, int dw, uint16_t *out) {
  int d = 0;
  for (; d < x->lo; d++) out[d] = (uint16_t)(s[0] << 8);
  for (; d < x->hi; d++) {
    const uint8_t *p = s + x->ofs[d];
    out[d] = (uint16_t)(x->w[2 * d] * p[0] + x->w[2 * d + 1] * p[1]);
  }
  uint16_t last = (uint16_t)(s[x->ofs[dw - 1]] << 8);
  for (; d < dw; d++) out[d] = last;
}

static void vset(const uint16_t *h, int dw, uint8_t *out) {
  for (int d = 0; d < dw; d++) out[d] = (uint8_t)((h[d] + 128) >> 8);
}

size_t avs_faces_resize_scratch(int dw, int dh) {
  return 2 * (size_t)dw * sizeof(uint16_t) + ((size_t)dw + dh) * sizeof(int) + 2 * ((size_t)dw + dh) * sizeof(uint16_t);
}

void avs_faces_resize(const uint8_t *src, int sw, int sh, int sstride, uint8_t *dst, int dw, int dh, void *scratch) {
  if (sw == dw && sh == dh) { /* OpenCV copies */
    for (int y = 0; y < sh; y++) memcpy(dst + (size_t)y * dw, src + (size_t)y * sstride, (size_t)dw);
    return;
  }
  uint16_t *rows = scratch;                 /* two resampled source rows */
  int *ofs = (int *)(rows + 2 * (size_t)dw); /* dw + dh */
  uint16_t *w = (uint16_t *)(ofs + dw + dh); /* 2 * (dw + dh) */
  axis ax = {ofs, w, 0, 0}, ay = {ofs + dw, w + 2 * (size_t)dw, 0, 0};
  axis_plan(sw, dw, &ax);
  axis_plan(sh, dh, &ay);
  int have[2] = {-1, -1}; /* the source row each of rows[0], rows[1] holds */
  for (int d = 0; d < dh; d++) {
    uint8_t *out = dst + (size_t)d * dw;
    int iy = d < ay.lo ? 0 : d >= ay.hi ? sh - 1 : ay.ofs[d];
    int need = d < ay.lo || d >= ay.hi ? 1 : 2, used = -1;
    uint16_t *h[2];
    for (int k = 0; k < need; k++) {
      int row = iy + k, slot = have[0] == row ? 0 : have[1] == row ? 1 : -1;
      if (slot < 0) {
        /* Keep the row the other sample needs. */
        slot = k ? 1 - used : (need == 2 && have[0] == iy + 1);
        hline(src + (size_t)row * sstride, &ax, dw, rows + (size_t)slot * dw);
        have[slot] = row;
      }
      used = slot;
      h[k] = rows + (size_t)slot * dw;
    }
    if (need == 1) {
      vset(h[0], dw, out);
      continue;
    }
    uint32_t w0 = ay.w[2 * d], w1 = ay.w[2 * d + 1];
    for (int x = 0; x < dw; x++) {
      uint32_t v = (h[0][x] * w0 + h[1][x] * w1 + (1u << 15)) >> 16;
      out[x] = (uint8_t)(v > 255 ? 255 : v);
    }
  }
}

/* T(X, Y) = A(X + Y - 1, Y) - B(X - Y, Y), where, with R(k, y) the sum of the
 * first k pixels of row y (k clamped to 0..w), A(c, Y) sums R(c - y, y) and
 * B(d, Y) sums R(d + y, y) over the rows y < Y: each row adds one term to
 * every diagonal. */
static void tilted_integral(const uint32_t *sum, int w, int h, int stride, uint32_t *t, uint32_t *A, uint32_t *B) {
  int n = w + h;
  memset(A, 0, (size_t)n * sizeof *A);
  memset(B, 0, (size_t)n * sizeof *B);
  memset(t, 0, (size_t)(w + 1) * sizeof *t);
  for (int y = 0; y < h; y++) {
    /* R(k, y) = R1[k] - R0[k]: consecutive rows of the upright integral. */
    const uint32_t *R1 = sum + (size_t)(y + 1) * stride, *R0 = sum + (size_t)y * stride;
    for (int c = 0; c < n; c++) {
      int k = c - y;
      k = k < 0 ? 0 : k > w ? w : k;
      A[c] += R1[k] - R0[k];
    }
    for (int i = 0; i < n; i++) { /* d = i - h */
      int k = i - h + y;
      k = k < 0 ? 0 : k > w ? w : k;
      B[i] += R1[k] - R0[k];
    }
    uint32_t *row = t + (size_t)(y + 1) * stride;
    for (int X = 0; X <= w; X++) row[X] = A[X + y] - B[X - y - 1 + h];
  }
}

void avs_faces_integral(const uint8_t *img, int w, int h, int stride, uint32_t *sum, uint32_t *sq, uint32_t *tilted,
                        uint32_t *scratch) {
  memset(sum, 0, (size_t)(w + 1) * sizeof *sum);
  for (int y = 0; y < h; y++) {
    const uint8_t *p = img + (size_t)y * w;
    uint32_t *s = sum + (size_t)(y + 1) * stride;
    const uint32_t *s0 = s - stride;
    uint32_t rs = 0;
    s[0] = 0;
    for (int x = 0; x < w; x++) {
      rs += p[x];
      s[x + 1] = s0[x + 1] + rs;
    }
  }
  if (sq) {
    memset(sq, 0, (size_t)(w + 1) * sizeof *sq);
    for (int y = 0; y < h; y++) {
      const uint8_t *p = img + (size_t)y * w;
      uint32_t *q = sq + (size_t)(y + 1) * stride;
      const uint32_t *q0 = q - stride;
      uint32_t rq = 0;
      q[0] = 0;
      for (int x = 0; x < w; x++) {
        rq += (uint32_t)p[x] * p[x];
        q[x + 1] = q0[x + 1] + rq;
      }
    }
  }
  if (tilted) tilted_integral(sum, w, h, stride, tilted, scratch, scratch + (w + h));
}
