/* Overlays: colour maps, heatmap blending and upsampling, boxes, text in the
 * built-in font, clipping at the edges; and a demo still and MP4 (heatmap,
 * box, label over a decoded clip) written to the build tree for the eye. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/video/vtest.h"

static bool px_is(const avs_image *im, int x, int y, int r, int g, int b) {
  const uint8_t *p = im->px + ((size_t)y * im->w + x) * 3;
  return p[0] == r && p[1] == g && p[2] == b;
}

static void check_cmaps(void) {
  uint8_t c[3];
  avs_cmap_rgb(AVS_CMAP_JET, 0, c);
  tst_true(c[0] == 0 && c[1] == 0 && c[2] == 128, "jet(0) is dark blue (%d %d %d)", c[0], c[1], c[2]);
  avs_cmap_rgb(AVS_CMAP_JET, 0.5f, c);
  tst_true(c[0] == 128 && c[1] == 255 && c[2] == 128, "jet(0.5) is green-ish (%d %d %d)", c[0], c[1], c[2]);
  avs_cmap_rgb(AVS_CMAP_JET, 1, c);
  tst_true(c[0] == 128 && c[1] == 0 && c[2] == 0, "jet(1) is dark red (%d %d %d)", c[0], c[1], c[2]);
  avs_cmap_rgb(AVS_CMAP_INFERNO, 0, c);
  tst_true(c[0] < 5 && c[1] < 5 && c[2] < 10, "inferno(0) is black (%d %d %d)", c[0], c[1], c[2]);
  avs_cmap_rgb(AVS_CMAP_INFERNO, 1, c);
  tst_true(c[0] > 245 && c[1] > 245 && c[2] > 150 && c[2] < 180, "inferno(1) is pale yellow (%d %d %d)", c[0], c[1], c[2]);
  /* Inferno's luminance rises monotonically. */
  float last = -1;
  bool mono = true;
  for (int i = 0; i <= 100; i++) {
    avs_cmap_rgb(AVS_CMAP_INFERNO, i / 100.f, c);
    float l = 0.2126f * c[0] + 0.7152f * c[1] + 0.0722f * c[2];
    if (l < last - 0.5f) mono = false;
    last = l;
  }
  tst_true(mono, "inferno's luminance increases");
  avs_cmap_rgb(AVS_CMAP_JET, NAN, c);
  tst_true(c[2] == 128, "NaN maps like 0");
  avs_cmap m;
  tst_true(avs_cmap_parse("inferno", &m) == 0 && m == AVS_CMAP_INFERNO && avs_cmap_parse("viridis", &m) == AVS_EINVAL,
           "colour map names parse: %s", avs_errmsg());
}

static void check_heatmap(void) {
  avs_image im;
  avs_image_alloc(&im, 40, 20);
  memset(im.px, 100, 40 * 20 * 3);
  float heat[2 * 2] = {0, 1, 2, 3};
  /* alpha 0: untouched. */
  avs_overlay_heatmap(&im, heat, 2, 2, AVS_CMAP_JET, 0, 0, 0);
  bool same = true;
  for (int i = 0; i < 40 * 20 * 3; i++) same &= im.px[i] == 100;
  tst_true(same, "alpha 0 leaves the image");
  /* alpha 1: the colour map itself; corners get the heatmap's corner values (min and max). */
  avs_overlay_heatmap(&im, heat, 2, 2, AVS_CMAP_GRAY, 1, 0, 0);
  tst_true(px_is(&im, 0, 0, 0, 0, 0) && px_is(&im, 39, 19, 255, 255, 255), "alpha 1 gray: corners are min and max");
  bool mono = true;
  for (int x = 1; x < 40; x++) mono &= im.px[(10 * 40 + x) * 3] >= im.px[(10 * 40 + x - 1) * 3];
  tst_true(mono, "bilinear upsampling is monotonic along a row");
  /* Half blend with a fixed range. */
  memset(im.px, 100, 40 * 20 * 3);
  float one = 5;
  avs_overlay_heatmap(&im, &one, 1, 1, AVS_CMAP_GRAY, 0.5f, 0, 10); /* 0.5 -> 128 */
  tst_true(abs(im.px[0] - 114) <= 1, "alpha 0.5 blends (got %d, want 114)", im.px[0]);
  float flat[4] = {3, 3, 3, 3};
  tst_true(avs_overlay_heatmap(&im, flat, 2, 2, AVS_CMAP_JET, 0.5f, 0, 0) == 0, "a flat heatmap is fine");
  tst_true(avs_overlay_heatmap(&im, flat, 0, 2, AVS_CMAP_JET, 0.5f, 0, 0) == AVS_EINVAL, "0-wide heatmap is refused");
  tst_true(avs_overlay_heatmap(&im, flat, 2, 2, AVS_CMAP_JET, 1.5f, 0, 0) == AVS_EINVAL, "alpha 1.5 is refused");
  avs_image_release(&im);
}

static void check_draw(void) {
  avs_image im;
  avs_image_alloc(&im, 30, 20);
  const uint8_t red[3] = {255, 0, 0}, white[3] = {255, 255, 255}, blue[3] = {0, 0, 255};
  avs_overlay_box(&im, 5, 4, 14, 12, red, 2);
  tst_true(px_is(&im, 5, 4, 255, 0, 0) && px_is(&im, 14, 12, 255, 0, 0) && px_is(&im, 6, 8, 255, 0, 0) &&
               px_is(&im, 7, 8, 0, 0, 0) && px_is(&im, 4, 4, 0, 0, 0),
           "a 2-pixel box outline, drawn inwards");
  avs_overlay_box(&im, -10, -10, 100, 100, blue, 1); /* all outside: clipped, no crash */
  avs_overlay_fill(&im, 25, 15, 60, 60, white, 1);
  tst_true(px_is(&im, 29, 19, 255, 255, 255) && px_is(&im, 24, 19, 0, 0, 0), "fill clipped at the edge");
  avs_image_release(&im);

  /* Text: 'A' at scale 1 sits one pixel in from (x, y) and matches the glyph. */
  avs_image_alloc(&im, 20, 12);
  avs_overlay_text(&im, 0, 0, "A", white, 1, NULL);
  const uint8_t *g = avs_font_glyph('A');
  bool match = true;
  for (int r = 0; r < 7; r++)
    for (int c = 0; c < 5; c++) match &= ((g[r] >> (4 - c)) & 1) == (im.px[((r + 1) * 20 + c + 1) * 3] == 255);
  tst_true(match, "glyph 'A' is drawn as in the font table");
  int w, h;
  avs_overlay_text_size("dog 0.93", 2, &w, &h);
  tst_true(w == (8 * 6 + 1) * 2 && h == 9 * 2, "text size of 'dog 0.93' at scale 2: %dx%d", w, h);
  avs_overlay_text_size("a\nbcd", 1, &w, &h);
  tst_true(w == 19 && h == 18, "two lines: %dx%d", w, h);
  /* Off the left, right and bottom edges, UTF-8 and a control character: clipped to the
   * image, rows above y untouched, every visible cell painted (background or glyph). */
  uint8_t before[20 * 12 * 3];
  memcpy(before, im.px, sizeof before);
  avs_overlay_text(&im, -7, 5, "clipped \xc3\xa9 text\n\x01", white, 3, blue);
  bool above = !memcmp(before, im.px, 5 * 20 * 3), painted = true;
  int glyph_px = 0;
  for (int y = 5; y < 12; y++)
    for (int x = 0; x < 20; x++) {
      bool is_bg = px_is(&im, x, y, blue[0], blue[1], blue[2]), is_fg = px_is(&im, x, y, 255, 255, 255);
      painted &= is_bg || is_fg;
      glyph_px += is_fg;
    }
  tst_true(above && painted && glyph_px > 0,
           "text off the edges is clipped: rows above untouched %d, cells painted %d, %d glyph pixels", above, painted,
           glyph_px);
  /* Every printable glyph is distinct and non-empty (but the space). */
  int dup = 0, empty = 0;
  for (int a = 0x21; a < 0x7f; a++) {
    const uint8_t *ga = avs_font_glyph(a);
    int bits = 0;
    for (int r = 0; r < 7; r++) bits += ga[r];
    empty += bits == 0;
    for (int b = 0x21; b < a; b++) dup += !memcmp(ga, avs_font_glyph(b), 7);
  }
  tst_true(dup == 0 && empty == 0, "94 printable glyphs, all distinct and drawn (%d same, %d empty)", dup, empty);
  avs_image_release(&im);
  tst_true(avs_image_alloc(&im, 0, 5) == AVS_EINVAL && im.px == NULL, "a 0x5 image is refused");
}

/* A clip through the whole chain: decode, heatmap, box, label, PNG and MP4. */
static void demo(void) {
  const char *src = vt_path("src.mp4");
  if (vt_make_indexed(src, 320, 240, 25, 25, true)) return (void)tst_true(false, "source: %s", avs_errmsg());
  avs_video *v = NULL;
  avs_video_open(src, NULL, &v);
  avs_norm kin;
  avs_norm_preset("kinetics", &kin);
  avs_clip_params cp = {.fps = 25, .geom = {224, 224, 256, AVS_FIT_CROP}, .norm = &kin};
  avs_clip_reader *r = NULL;
  avs_clip_reader_new(v, &cp, &r);
  avs_video_writer *w = NULL;
  int rc = avs_video_writer_open(vt_path("demo.mp4"), &(avs_writer_params){.width = 224, .height = 224, .fps = 25}, &w);
  float *frame = malloc(sizeof(float) * 224 * 224 * 3);
  float heat[7 * 7];
  int n = 0;
  while (!rc && avs_clip_reader_next(r, frame, NULL, NULL) == 1) {
    avs_image im;
    avs_image_from_float(&im, frame, 224, 224, &kin);
    for (int i = 0; i < 49; i++) heat[i] = expf(-(powf(i % 7 - 1 - n * 0.2f, 2) + powf(i / 7 - 3, 2)) / 2);
    avs_overlay_heatmap(&im, heat, 7, 7, n < 12 ? AVS_CMAP_JET : AVS_CMAP_INFERNO, 0.5f, 0, 1);
    avs_overlay_box(&im, 40, 60, 180, 170, (const uint8_t[]){0, 255, 0}, 3);
    char label[32];
    snprintf(label, sizeof label, "guitar %.2f", 0.5 + n * 0.01);
    avs_overlay_text(&im, 40, 40, label, (const uint8_t[]){255, 255, 255}, 2, (const uint8_t[]){0, 0, 0});
    if (n == 10) rc = avs_png_write_image(vt_path("demo.png"), &im);
    if (!rc) rc = avs_video_writer_write(w, im.px);
    avs_image_release(&im);
    n++;
  }
  if (!rc) rc = avs_video_writer_close(&w);
  avs_video_writer_free(&w);
  tst_true(rc == 0 && n == 25, "demo: %d frames with heatmap, box and label to %s and demo.png: %s", n,
           vt_path("demo.mp4"), rc ? avs_errmsg() : "ok");
  free(frame);
  avs_clip_reader_free(&r);
  avs_video_free(&v);
}

int main(void) {
  vt_dir("overlay");
  check_cmaps();
  check_heatmap();
  check_draw();
  demo();
  return tst_finish();
}
