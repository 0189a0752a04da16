#include "apps/avloc/render.h"

#include <stddef.h>

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

int avloc_render(avs_image *im, const float *heat, avs_cmap cmap, float alpha) {
  int rc = avs_overlay_heatmap(im, heat, im->w, im->h, cmap, alpha, 0.0f, 1.0f);
  if (!rc) legend(im, cmap);
  return rc;
}
