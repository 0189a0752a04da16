#include "apps/avloc/render.h"

#include <stddef.h>
#include <stdio.h>

#include "video/overlay.h"

/* The legend: "low" [colour bar] "high" on a dark strip, sized to the frame
 * (none on frames too small to hold it). */
static void legend(avs_image *im, avs_cmap cmap) {
  int scale = im->h >= 720 ? 2 : 1, m = 2 * scale, lw, lh, hw, hh;
  avs_overlay_text_size("low", scale, &lw, &lh);
  avs_overlay_text_size("high", scale, &hw, &hh);
  int bar_w = im->w / 5, bar_h = lh;
  if (bar_w > 200 * scale) bar_w = 200 * scale;
  int total = m + lw + m + bar_w + m + hw + m;
  if (bar_w < 16 || total > im->w || lh + 2 * m > im->h / 3) return;
  int x0 = im->w - total, y0 = im->h - lh - 2 * m;
  static const uint8_t dark[3] = {0, 0, 0}, white[3] = {255, 255, 255};
  avs_overlay_fill(im, x0, y0, im->w - 1, im->h - 1, dark, 0.6f);
  int x = x0 + m, y = y0 + m;
  avs_overlay_text(im, x, y, "low", white, scale, NULL);
  x += lw + m;
  for (int i = 0; i < bar_w; i++) {
    uint8_t rgb[3];
    avs_cmap_rgb(cmap, (float)i / (float)(bar_w - 1), rgb);
    avs_overlay_fill(im, x + i, y, x + i, y + bar_h - 1, rgb, 1.0f);
  }
  x += bar_w + m;
  avs_overlay_text(im, x, y, "high", white, scale, NULL);
}

/* The map is already at the image's size: a 256-colour table blended in
 * one pass (avs_overlay_heatmap would resample it and look each colour up). */
int avloc_render(avs_image *im, const float *heat, avs_cmap cmap, float alpha) {
  static avs_cmap table_cmap = (avs_cmap)-1;
  static uint8_t table[256][3];
  if (table_cmap != cmap) {
    for (int i = 0; i < 256; i++) avs_cmap_rgb(cmap, (float)i / 255.0f, table[i]);
    table_cmap = cmap;
  }
  int a = (int)(alpha * 256.0f + 0.5f), b = 256 - a;
  size_t n = (size_t)im->w * im->h;
  uint8_t *px = im->px;
  for (size_t i = 0; i < n; i++, px += 3) {
    float v = heat[i] * 255.0f + 0.5f;
    const uint8_t *c = table[v > 0 ? (v < 255 ? (int)v : 255) : 0]; /* NaN counts as 0 */
    px[0] = (uint8_t)((b * px[0] + a * c[0] + 128) >> 8);
    px[1] = (uint8_t)((b * px[1] + a * c[1] + 128) >> 8);
    px[2] = (uint8_t)((b * px[2] + a * c[2] + 128) >> 8);
  }
  legend(im, cmap);
  return 0;
}

static const uint8_t palette[8][3] = {{255, 80, 80}, {80, 200, 255}, {120, 255, 120}, {255, 210, 60},
                                      {220, 120, 255}, {255, 150, 60}, {60, 255, 220}, {255, 255, 255}};

const uint8_t *avloc_source_rgb(int j) { return palette[j % 8]; }

/* "1 [] 2 [] ..." on a dark strip in the bottom-right corner. */
static void source_legend(avs_image *im, int sources) {
  int scale = im->h >= 720 ? 2 : 1, m = 2 * scale, tw, th;
  avs_overlay_text_size("0", scale, &tw, &th);
  int cell = tw + m + th + 2 * m, total = m + sources * cell;
  if (total > im->w || th + 2 * m > im->h / 3) return;
  int x = im->w - total, y0 = im->h - th - 2 * m;
  static const uint8_t dark[3] = {0, 0, 0}, white[3] = {255, 255, 255};
  avs_overlay_fill(im, x, y0, im->w - 1, im->h - 1, dark, 0.6f);
  x += m;
  for (int j = 0; j < sources; j++) {
    char label[12];
    snprintf(label, sizeof label, "%d", j + 1);
    avs_overlay_text(im, x, y0 + m, label, white, scale, NULL);
    avs_overlay_fill(im, x + tw + m, y0 + m, x + tw + m + th - 1, y0 + m + th - 1, palette[j % 8], 1.0f);
    x += cell;
  }
}

int avloc_render_sources(avs_image *im, const float *const *heat, int sources, float alpha) {
  size_t n = (size_t)im->w * im->h;
  for (int j = 0; j < sources; j++) {
    const uint8_t *c = palette[j % 8];
    const float *h = heat[j];
    for (size_t i = 0; i < n; i++) {
      float a = alpha * (h[i] < 0 ? 0 : h[i] > 1 ? 1 : h[i]);
      uint8_t *px = im->px + 3 * i;
      for (int k = 0; k < 3; k++) px[k] = (uint8_t)((1 - a) * px[k] + a * c[k] + 0.5f);
    }
  }
  source_legend(im, sources);
  return 0;
}
