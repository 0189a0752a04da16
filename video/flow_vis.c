#include "video/flow_vis.h"

#include <math.h>

/* Segment lengths of the wheel: red-yellow, yellow-green, green-cyan, cyan-blue, blue-magenta, magenta-red. */
enum { RY = 15, YG = 6, GC = 4, CB = 11, BM = 13, MR = 6, NCOLS = RY + YG + GC + CB + BM + MR };

static void wheel(float w[NCOLS][3]) {
  int k = 0;
  for (int i = 0; i < RY; i++, k++) w[k][0] = 1, w[k][1] = (float)i / RY, w[k][2] = 0;
  for (int i = 0; i < YG; i++, k++) w[k][0] = 1 - (float)i / YG, w[k][1] = 1, w[k][2] = 0;
  for (int i = 0; i < GC; i++, k++) w[k][0] = 0, w[k][1] = 1, w[k][2] = (float)i / GC;
  for (int i = 0; i < CB; i++, k++) w[k][0] = 0, w[k][1] = 1 - (float)i / CB, w[k][2] = 1;
  for (int i = 0; i < BM; i++, k++) w[k][0] = (float)i / BM, w[k][1] = 0, w[k][2] = 1;
  for (int i = 0; i < MR; i++, k++) w[k][0] = 1, w[k][1] = 0, w[k][2] = 1 - (float)i / MR;
}

float avs_flow_vis(const float *flow, int w, int h, float max_mag, uint8_t *rgb) {
  static const float PI = 3.14159265358979f;
  float cw[NCOLS][3];
  wheel(cw);
  int64_t n = (int64_t)w * h;
  if (!(max_mag > 0)) {
    max_mag = 0;
    for (int64_t i = 0; i < n; i++) {
      float m = hypotf(flow[2 * i], flow[2 * i + 1]);
      if (isfinite(m) && m > max_mag) max_mag = m;
    }
    if (max_mag <= 0) max_mag = 1;
  }
  float inv = 1.0f / max_mag;
  for (int64_t i = 0; i < n; i++) {
    float u = flow[2 * i] * inv, v = flow[2 * i + 1] * inv;
    uint8_t *o = rgb + 3 * i;
    if (!isfinite(u) || !isfinite(v)) {
      o[0] = o[1] = o[2] = 0;
      continue;
    }
    float rad = sqrtf(u * u + v * v);
    float a = atan2f(-v, -u) / PI;
    float fk = (a + 1) / 2 * (NCOLS - 1);
    int k0 = (int)fk;
    if (k0 < 0) k0 = 0;
    if (k0 > NCOLS - 1) k0 = NCOLS - 1;
    int k1 = (k0 + 1) % NCOLS;
    float f = fk - k0;
    for (int c = 0; c < 3; c++) {
      float col = (1 - f) * cw[k0][c] + f * cw[k1][c];
      col = rad <= 1 ? 1 - rad * (1 - col) : col * 0.75f;
      o[c] = (uint8_t)(255 * col + 0.5f);
    }
  }
  return max_mag;
}
