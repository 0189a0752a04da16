/* avloc's peak finder (apps/avloc/peaks.c) on maps drawn here: two blobs, the
 * threshold, non-maximum suppression, plateaus, boxes, a flat map. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "apps/avloc/peaks.h"
#include "tests/harness.h"

#define W 64
#define H 48

static float heat[W * H];

static void blob(float cx, float cy, float s, float peak) {
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      float v = peak * expf(-((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (2 * s * s));
      if (v > heat[y * W + x]) heat[y * W + x] = v;
    }
}

int main(void) {
  avloc_peaks *p = avloc_peaks_new(W, H);
  avloc_peak pk[AVLOC_MAX_PEAKS];
  tst_true(p != NULL, "scratch");

  memset(heat, 0, sizeof heat);
  int n = avloc_peaks_find(p, heat, pk);
  tst_true(n == 0, "a flat map has no peaks (%d)", n);

  blob(15, 20, 4, 1.0f), blob(45, 30, 5, 0.8f), blob(40, 5, 2, 0.4f);
  n = avloc_peaks_find(p, heat, pk);
  tst_true(n == 2, "two blobs above 0.5, the third below: %d peaks", n);
  tst_true(n >= 1 && pk[0].x == 15 && pk[0].y == 20 && pk[0].score == 1.0f, "strongest first at (15, 20): (%d, %d) %g",
           pk[0].x, pk[0].y, pk[0].score);
  tst_true(n >= 2 && pk[1].x == 45 && pk[1].y == 30 && fabsf(pk[1].score - 0.8f) < 1e-6f, "then (45, 30): (%d, %d) %g",
           pk[1].x, pk[1].y, pk[1].score);
  /* exp(-r^2 / 2s^2) >= 0.5 for r <= s sqrt(2 ln 2) = 4.71 (s = 4): x in 11..19. */
  tst_true(pk[0].box[0] == 11 && pk[0].box[2] == 20 && pk[0].box[1] == 16 && pk[0].box[3] == 25,
           "box of the first region: [%d, %d, %d, %d]", pk[0].box[0], pk[0].box[1], pk[0].box[2], pk[0].box[3]);

  /* Two maxima closer than a tenth of the larger side (6.4 px): one peak. */
  memset(heat, 0, sizeof heat);
  blob(20, 20, 2, 1.0f), blob(25, 20, 2, 0.9f);
  n = avloc_peaks_find(p, heat, pk);
  tst_true(n == 1 && pk[0].x == 20, "close maxima suppressed: %d peaks", n);

  /* Four maxima: at most three, strongest first; two in one region share its box. */
  memset(heat, 0, sizeof heat);
  blob(8, 8, 2, 0.7f), blob(56, 8, 2, 0.9f), blob(8, 40, 2, 0.6f), blob(56, 40, 2, 1.0f);
  for (int x = 8; x <= 56; x++) heat[8 * W + x] = fmaxf(heat[8 * W + x], 0.55f); /* a ridge joins the top two */
  n = avloc_peaks_find(p, heat, pk);
  tst_true(n == 3 && pk[0].y == 40 && pk[1].x == 56 && pk[1].y == 8 && pk[2].x == 8 && pk[2].y == 8,
           "three strongest of four: %d peaks", n);
  tst_true(n == 3 && !memcmp(pk[1].box, pk[2].box, sizeof pk[1].box) && pk[1].box[0] <= 8 && pk[1].box[2] > 56,
           "peaks of one region share its box: [%d, %d, %d, %d]", pk[1].box[0], pk[1].box[1], pk[1].box[2],
           pk[1].box[3]);

  /* A plateau gives one peak; a map of ones one peak whose box is the picture. */
  for (int i = 0; i < W * H; i++) heat[i] = 1.0f;
  n = avloc_peaks_find(p, heat, pk);
  tst_true(n == 1 && pk[0].box[0] == 0 && pk[0].box[1] == 0 && pk[0].box[2] == W && pk[0].box[3] == H,
           "a constant map: one peak, the whole picture: %d", n);
  avloc_peaks_free(&p);

  /* A 1280 x 720 map is searched on every 5th pixel: the peaks still land on
   * the full map's maxima, the boxes within 5 pixels. */
  enum { BW = 1280, BH = 720 };
  static float big[BW * BH];
  for (int y = 0; y < BH; y++)
    for (int x = 0; x < BW; x++) {
      float a = expf(-((x - 301.0f) * (x - 301.0f) + (y - 203.0f) * (y - 203.0f)) / (2 * 60.0f * 60.0f));
      float b = 0.7f * expf(-((x - 977.0f) * (x - 977.0f) + (y - 512.0f) * (y - 512.0f)) / (2 * 40.0f * 40.0f));
      big[y * BW + x] = a > b ? a : b;
    }
  p = avloc_peaks_new(BW, BH);
  n = avloc_peaks_find(p, big, pk);
  tst_true(n == 2 && pk[0].x == 301 && pk[0].y == 203 && pk[1].x == 977 && pk[1].y == 512,
           "1280 x 720: the maxima (301, 203) and (977, 512): %d peaks, (%d, %d) (%d, %d)", n, pk[0].x, pk[0].y,
           pk[1].x, pk[1].y);
  /* a >= 0.5 within r = 60 sqrt(2 ln 2) = 70.6 of the centre: x in 231..371 */
  tst_true(n >= 1 && abs(pk[0].box[0] - 231) <= 5 && abs(pk[0].box[2] - 372) <= 5 && abs(pk[0].box[1] - 133) <= 5 &&
               abs(pk[0].box[3] - 274) <= 5,
           "1280 x 720: the first box within 5 pixels: [%d, %d, %d, %d]", pk[0].box[0], pk[0].box[1], pk[0].box[2],
           pk[0].box[3]);
  avloc_peaks_free(&p);
  return tst_finish();
}
