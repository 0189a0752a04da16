#include "video/overlay.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "av/status.h"
#include "video/font.h"

static void put(avs_image *im, int x, int y, const uint8_t rgb[3]) {
  if (x < 0 || y < 0 || x >= im->w || y >= im->h) return;
  memcpy(im->px + ((size_t)y * im->w + x) * 3, rgb, 3);
}

int avs_overlay_heatmap(avs_image *im, const float *heat, int hw, int hh, avs_cmap cmap, float alpha, float lo,
                        float hi) {
  if (hw <= 0 || hh <= 0) return avs_seterr(AVS_EINVAL, "heatmap size %dx%d is not valid", hw, hh);
  if (!(alpha >= 0 && alpha <= 1)) return avs_seterr(AVS_EINVAL, "heatmap alpha %g is outside [0, 1]", alpha);
  if (!(lo < hi)) {
    lo = INFINITY, hi = -INFINITY;
    for (int64_t i = 0; i < (int64_t)hw * hh; i++)
      if (isfinite(heat[i])) {
        if (heat[i] < lo) lo = heat[i];
        if (heat[i] > hi) hi = heat[i];
      }
    if (!(lo < hi)) { /* flat or empty: everything maps to 0 */
      hi = isfinite(lo) ? lo + 1 : 1;
      lo = isfinite(lo) ? lo : 0;
    }
  }
  float scale = 1.0f / (hi - lo);
  /* Horizontal sampling positions, shared by every row. */
  int *x0s = malloc(sizeof(int) * im->w * 2);
  float *fx = malloc(sizeof(float) * im->w);
  if (!x0s || !fx) {
    free(x0s);
    free(fx);
    return avs_seterr(AVS_ENOMEM, "out of memory drawing a heatmap");
  }
  for (int x = 0; x < im->w; x++) {
    float s = (x + 0.5f) * hw / im->w - 0.5f;
    if (s < 0) s = 0;
    int i = (int)s;
    if (i > hw - 1) i = hw - 1;
    x0s[2 * x] = i;
    x0s[2 * x + 1] = i + 1 < hw ? i + 1 : i;
    fx[x] = s - i > 1 ? 1 : s - i;
  }
  int na = (int)(alpha * 256 + 0.5f);
  for (int y = 0; y < im->h; y++) {
    float s = (y + 0.5f) * hh / im->h - 0.5f;
    if (s < 0) s = 0;
    int j = (int)s;
    if (j > hh - 1) j = hh - 1;
    int j1 = j + 1 < hh ? j + 1 : j;
    float fy = s - j > 1 ? 1 : s - j;
    const float *r0 = heat + (size_t)j * hw, *r1 = heat + (size_t)j1 * hw;
    uint8_t *row = im->px + (size_t)y * im->w * 3;
    for (int x = 0; x < im->w; x++) {
      int a = x0s[2 * x], b = x0s[2 * x + 1];
      float top = r0[a] + fx[x] * (r0[b] - r0[a]), bot = r1[a] + fx[x] * (r1[b] - r1[a]);
      float v = (top + fy * (bot - top) - lo) * scale;
      uint8_t c[3];
      avs_cmap_rgb(cmap, v, c);
      for (int k = 0; k < 3; k++) row[3 * x + k] = (uint8_t)((row[3 * x + k] * (256 - na) + c[k] * na + 128) >> 8);
    }
  }
  free(x0s);
  free(fx);
  return 0;
}

void avs_overlay_fill(avs_image *im, int x0, int y0, int x1, int y1, const uint8_t rgb[3], float alpha) {
  if (x0 > x1) { int t = x0; x0 = x1; x1 = t; }
  if (y0 > y1) { int t = y0; y0 = y1; y1 = t; }
  if (x0 < 0) x0 = 0;
  if (y0 < 0) y0 = 0;
  if (x1 >= im->w) x1 = im->w - 1;
  if (y1 >= im->h) y1 = im->h - 1;
  int na = (int)((alpha < 0 ? 0 : alpha > 1 ? 1 : alpha) * 256 + 0.5f);
  for (int y = y0; y <= y1; y++)
    for (int x = x0; x <= x1; x++) {
      uint8_t *p = im->px + ((size_t)y * im->w + x) * 3;
      for (int k = 0; k < 3; k++) p[k] = (uint8_t)((p[k] * (256 - na) + rgb[k] * na + 128) >> 8);
    }
}

void avs_overlay_box(avs_image *im, int x0, int y0, int x1, int y1, const uint8_t rgb[3], int thickness) {
  if (x0 > x1) { int t = x0; x0 = x1; x1 = t; }
  if (y0 > y1) { int t = y0; y0 = y1; y1 = t; }
  if (thickness < 1) thickness = 1;
  int t = thickness - 1;
  avs_overlay_fill(im, x0, y0, x1, y0 + t < y1 ? y0 + t : y1, rgb, 1);
  avs_overlay_fill(im, x0, y1 - t > y0 ? y1 - t : y0, x1, y1, rgb, 1);
  avs_overlay_fill(im, x0, y0, x0 + t < x1 ? x0 + t : x1, y1, rgb, 1);
  avs_overlay_fill(im, x1 - t > x0 ? x1 - t : x0, y0, x1, y1, rgb, 1);
}

void avs_overlay_text_size(const char *text, int scale, int *w, int *h) {
  if (scale < 1) scale = 1;
  int cols = 0, max_cols = 0, lines = 1;
  for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
    if ((*p & 0xc0) == 0x80) continue; /* UTF-8 continuation byte */
    if (*p == '\n') {
      lines++;
      cols = 0;
    } else if (++cols > max_cols) {
      max_cols = cols;
    }
  }
  *w = max_cols ? (max_cols * AVS_FONT_CELL_W + 1) * scale : 0;
  *h = lines * AVS_FONT_CELL_H * scale;
}

void avs_overlay_text(avs_image *im, int x, int y, const char *text, const uint8_t rgb[3], int scale,
                      const uint8_t *bg) {
  if (scale < 1) scale = 1;
  if (scale > 64) scale = 64;
  if (bg) {
    int w, h;
    avs_overlay_text_size(text, scale, &w, &h);
    if (w > 0) avs_overlay_fill(im, x, y, x + w - 1, y + h - 1, bg, 1);
  }
  int cx = x + scale, cy = y + scale; /* one pixel of margin inside the background */
  for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
    if (*p == '\n') {
      cx = x + scale;
      cy += AVS_FONT_CELL_H * scale;
      continue;
    }
    if ((*p & 0xc0) == 0x80) continue; /* UTF-8 continuation: one box per character */
    const uint8_t *g = avs_font_glyph(*p);
    for (int r = 0; r < AVS_FONT_H; r++)
      for (int c = 0; c < AVS_FONT_W; c++)
        if (g[r] & (0x10 >> c))
          for (int dy = 0; dy < scale; dy++)
            for (int dx = 0; dx < scale; dx++) put(im, cx + c * scale + dx, cy + r * scale + dy, rgb);
    cx += AVS_FONT_CELL_W * scale;
  }
}
