/* The AVX2 row scan of Haar stump cascades (video/faces/haar_avx2.c) against
 * the one-window-at-a-time scan: the same raw hits (no grouping), in the same
 * order, on opencv-doc's photographs, crops of odd sizes (rows whose length
 * is not a multiple of 8), a mirrored and a low-contrast copy, and a flat
 * frame, with cascades of upright features (frontalface_default, alt) and of
 * tilted ones (upperbody), at scale factors 1.1 and 1.3. Where the CPU lacks
 * AVX2 there is nothing to compare: the test says so and passes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "av/avs.h"
#include "tests/harness.h"
#include "video/faces/detect.h"
#include "video/preprocess.h"
#include "video/video.h"

#define DATA "/usr/share/doc/opencv-doc/examples/data/"

typedef struct {
  uint8_t *px;
  int w, h;
} gray_img;

static gray_img load_gray(const char *path) {
  gray_img g = {0};
  avs_video *v = NULL;
  avs_prep *prep = NULL;
  double t;
  if (avs_video_open(path, NULL, &v) || avs_video_next(v, &t) <= 0) {
    tst_true(false, "decode %s: %s", path, avs_errmsg());
    avs_video_free(&v);
    return g;
  }
  const avs_video_info *in = avs_video_info_get(v);
  uint8_t *rgb = malloc((size_t)in->width * in->height * 3);
  g.px = malloc((size_t)in->width * in->height);
  if (!rgb || !g.px || avs_prep_new(&(avs_geom){0}, NULL, &prep) || avs_prep_set_source(prep, in->width, in->height))
    abort();
  avs_prep_out_size(prep, &g.w, &g.h);
  if (avs_prep_frame(prep, v, rgb, NULL)) abort();
  avs_faces_gray(rgb, (int64_t)g.w * g.h, g.px);
  free(rgb);
  avs_prep_free(&prep);
  avs_video_free(&v);
  return g;
}

/* Raw hits of one scan, copied (the detector's buffer is reused). */
static avs_face_rect *hits(avs_faces *d, const gray_img *g, int x0, int y0, int w, int h, int *n) {
  const avs_face_rect *r;
  if (avs_faces_detect(d, g->px + (size_t)y0 * g->w + x0, w, h, g->w, &r, n)) {
    tst_true(false, "detect: %s", avs_errmsg());
    *n = 0;
    return NULL;
  }
  avs_face_rect *copy = malloc((size_t)(*n ? *n : 1) * sizeof *copy);
  if (!copy) abort();
  if (*n) memcpy(copy, r, (size_t)*n * sizeof *copy);
  return copy;
}

static int compare(const avs_cascade *c, const char *cname, double scale, const char *iname, const gray_img *g, int x0,
                   int y0, int w, int h) {
  avs_faces_params p = {.scale_factor = scale, .min_neighbors = 0};
  avs_faces *d = NULL;
  if (avs_faces_new(c, &p, &d)) abort();
  int na, ns;
  avs_face_rect *a = hits(d, g, x0, y0, w, h, &na);
  avs_faces_set_simd(d, false);
  avs_face_rect *s = hits(d, g, x0, y0, w, h, &ns);
  tst_true(na == ns && (!na || !memcmp(a, s, (size_t)na * sizeof *a)),
           "%s, scale %.1f, %s %dx%d: %d raw hits with AVX2, %d one window at a time", cname, scale, iname, w, h, na,
           ns);
  free(a);
  free(s);
  avs_faces_free(&d);
  return na;
}

int main(void) {
  static const char *cascades[] = {"haarcascade_frontalface_default", "haarcascade_frontalface_alt",
                                   "haarcascade_upperbody"};
  avs_cascade *c[3] = {0};
  for (int i = 0; i < 3; i++) {
    char path[512];
    snprintf(path, sizeof path, AVS_CASCADE_DIR "/haarcascades/%s.xml", cascades[i]);
    if (avs_cascade_load(path, &c[i])) {
      fprintf(stderr, "%s (scripts/setup.sh --test installs opencv-data)\n", avs_errmsg());
      return 1;
    }
    tst_true(c[i]->stumps, "%s is made of stumps (the row scan's case)", cascades[i]);
  }
  avs_faces *probe = NULL;
  if (avs_faces_new(c[0], &(avs_faces_params){AVS_FACES_DEFAULTS}, &probe)) abort();
  bool simd = avs_faces_set_simd(probe, true);
  avs_faces_free(&probe);
  if (!simd) {
    printf("this CPU has no AVX2: only the one-window scan runs, nothing to compare\n");
    for (int i = 0; i < 3; i++) avs_cascade_free(&c[i]);
    return tst_finish();
  }

  gray_img messi = load_gray(DATA "messi5.jpg"), people = load_gray(DATA "basketball1.png");
  if (!messi.px || !people.px) return tst_finish();
  gray_img mirror = {malloc((size_t)messi.w * messi.h), messi.w, messi.h};
  gray_img dark = {malloc((size_t)messi.w * messi.h), messi.w, messi.h};
  gray_img flat = {malloc((size_t)messi.w * messi.h), messi.w, messi.h};
  if (!mirror.px || !dark.px || !flat.px) abort();
  for (int y = 0; y < messi.h; y++)
    for (int x = 0; x < messi.w; x++) {
      uint8_t v = messi.px[(size_t)y * messi.w + x];
      mirror.px[(size_t)y * messi.w + (messi.w - 1 - x)] = v;
      dark.px[(size_t)y * messi.w + x] = (uint8_t)(v * 0.35f + 20);
    }
  memset(flat.px, 90, (size_t)messi.w * messi.h);

  int faces_messi = 0;
  for (int i = 0; i < 3; i++)
    for (int k = 0; k < 2; k++) {
      double scale = k ? 1.3 : 1.1;
      int n = compare(c[i], cascades[i], scale, "messi5", &messi, 0, 0, messi.w, messi.h);
      if (i == 0 && k == 0) faces_messi = n;
      compare(c[i], cascades[i], scale, "basketball1", &people, 0, 0, people.w, people.h);
      compare(c[i], cascades[i], scale, "messi5 mirrored", &mirror, 0, 0, mirror.w, mirror.h);
      compare(c[i], cascades[i], scale, "messi5 dark", &dark, 0, 0, dark.w, dark.h);
      compare(c[i], cascades[i], scale, "messi5 crop", &messi, 197, 23, 301, 157);
      compare(c[i], cascades[i], scale, "basketball1 crop", &people, 101, 77, 203, 259);
      compare(c[i], cascades[i], scale, "flat", &flat, 0, 0, 131, 67);
    }
  /* Not a vacuous comparison: the default cascade finds many raw hits on messi5. */
  tst_true(faces_messi >= 10, "frontalface_default finds %d raw hits on messi5 (>= 10)", faces_messi);

  free(messi.px);
  free(people.px);
  free(mirror.px);
  free(dark.px);
  free(flat.px);
  for (int i = 0; i < 3; i++) avs_cascade_free(&c[i]);
  return tst_finish();
}
