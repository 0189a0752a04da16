/* Clip sampling and preprocessing: which frames a requested rate picks,
 * clips with a stride, seeking, evenly spaced clips, padding at the end,
 * the geometry plans (shorter side + centre crop, letterbox, stretch) and the
 * normalisation presets. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/video/vtest.h"

static const char *src; /* 30 fps, 90 frames, 160x120, indexed */

static avs_video *open_src(void) {
  avs_video *v = NULL;
  if (avs_video_open(src, NULL, &v)) {
    printf("FAIL open %s: %s\n", src, avs_errmsg());
    exit(1);
  }
  return v;
}

/* Reads the first n frames at fps (stretch to 80x60 keeps the bars readable) and compares indices. */
static void check_rate(double fps, const int *want, int n) {
  avs_video *v = open_src();
  avs_clip_reader *r = NULL;
  avs_clip_params cp = {.fps = fps, .geom = {.width = 80, .height = 60, .fit = AVS_FIT_STRETCH}};
  avs_clip_reader_new(v, &cp, &r);
  uint8_t rgb[80 * 60 * 3];
  char got_s[256] = "", want_s[256] = "";
  bool ok = true;
  for (int i = 0; i < n; i++) {
    double t;
    int rc = avs_clip_reader_next(r, NULL, rgb, &t);
    int got = rc == 1 ? vt_read_index(rgb, 80, 60) : -9;
    ok &= got == want[i];
    snprintf(got_s + strlen(got_s), sizeof got_s - strlen(got_s), "%d ", got);
    snprintf(want_s + strlen(want_s), sizeof want_s - strlen(want_s), "%d ", want[i]);
  }
  tst_true(ok, "%.2f fps picks [%s] (want [%s])", fps, got_s, want_s);
  avs_clip_reader_free(&r);
  avs_video_free(&v);
}

static int count_all(double fps) {
  avs_video *v = open_src();
  avs_clip_reader *r = NULL;
  avs_clip_params cp = {.fps = fps, .geom = {.width = 16, .height = 16}};
  avs_clip_reader_new(v, &cp, &r);
  float buf[16 * 16 * 3];
  int n = 0;
  while (avs_clip_reader_next(r, buf, NULL, NULL) == 1) n++;
  avs_clip_reader_free(&r);
  avs_video_free(&v);
  return n;
}

/* Index of each frame of a float clip made with the "unit" norm and stretch geometry. */
static void clip_indices(const float *clip, int T, int w, int h, int *idx) {
  uint8_t *rgb = malloc((size_t)w * h * 3);
  avs_norm unit;
  avs_norm_preset("unit", &unit);
  for (int t = 0; t < T; t++) {
    avs_norm_invert(&unit, clip + (size_t)t * w * h * 3, (int64_t)w * h, rgb);
    idx[t] = vt_read_index(rgb, w, h);
  }
  free(rgb);
}

static void check_clip(avs_clip_reader *r, double t0, int T, int stride, int want_rc, const int *want) {
  float *clip = malloc(sizeof(float) * T * 80 * 60 * 3);
  int idx[64];
  int rc = avs_clip_read(r, t0, T, stride, clip);
  clip_indices(clip, T, 80, 60, idx);
  bool ok = rc == want_rc;
  for (int i = 0; i < T; i++) ok &= idx[i] == want[i];
  char s[256] = "";
  for (int i = 0; i < T; i++) snprintf(s + strlen(s), sizeof s - strlen(s), "%d ", idx[i]);
  tst_true(ok, "clip t0=%.2f T=%d stride=%d: %d real frames, [%s]", t0, T, stride, rc, s);
  free(clip);
}

static void check_plan(avs_geom g, int sw, int sh, avs_geom_plan want) {
  avs_geom_plan p;
  int rc = avs_geom_plan_for(&g, sw, sh, &p);
  tst_true(rc == 0 && !memcmp(&p, &want, sizeof p),
           "plan %dx%d -> box %dx%d short %d fit %d: out %dx%d scaled %dx%d at (%d,%d)", sw, sh, g.width, g.height,
           g.short_side, g.fit, p.out_w, p.out_h, p.scaled_w, p.scaled_h, p.off_x, p.off_y);
}

int main(void) {
  vt_dir("clip");
  src = vt_path("idx30.mp4");
  if (vt_make_indexed(src, 160, 120, 30, 90, false)) {
    printf("FAIL cannot write %s: %s\n", src, avs_errmsg());
    return 1;
  }

  /* Frame rate conversion picks the nearest frame to each k / fps. */
  check_rate(10, (const int[]){0, 3, 6, 9, 12, 15, 18, 21}, 8);
  check_rate(7.5, (const int[]){0, 4, 8, 12, 16, 20}, 6);
  check_rate(15, (const int[]){0, 2, 4, 6, 8, 10}, 6);
  check_rate(9, (const int[]){0, 3, 7, 10, 13, 17, 20, 23}, 8); /* 3.33 source frames per sample: nearest */
  check_rate(0, (const int[]){0, 1, 2, 3, 4, 5}, 6);
  check_rate(45, (const int[]){0, 1, 1, 2, 3, 3, 4, 5, 5}, 9); /* upsampling repeats frames */
  tst_true(count_all(10) == 30, "3 s at 10 fps gives 30 frames (%d)", count_all(10));
  tst_true(count_all(8) == 24, "3 s at 8 fps gives 24 frames (%d)", count_all(8));
  tst_true(count_all(0) == 90, "native rate gives all 90 frames (%d)", count_all(0));

  /* Clips: seek, stride, continue, padding at the end. */
  avs_video *v = open_src();
  avs_clip_reader *r = NULL;
  avs_clip_params cp = {.fps = 10, .geom = {.width = 80, .height = 60, .fit = AVS_FIT_STRETCH}};
  avs_norm unit;
  avs_norm_preset("unit", &unit);
  cp.norm = &unit;
  avs_clip_reader_new(v, &cp, &r);
  check_clip(r, 1.0, 4, 2, 4, (const int[]){30, 36, 42, 48});
  check_clip(r, AVS_CLIP_CONTINUE, 3, 1, 3, (const int[]){51, 54, 57});
  check_clip(r, 0.2, 4, 1, 4, (const int[]){6, 9, 12, 15});          /* backwards: a real seek */
  check_clip(r, 2.8, 5, 1, 2, (const int[]){84, 87, 87, 87, 87});    /* past the end: last frame repeats */
  check_clip(r, 1.3, 3, 1, 3, (const int[]){39, 42, 45});
  check_clip(r, 1.5, 3, 1, 3, (const int[]){45, 48, 51});            /* close ahead: decodes on */
  float dummy[80 * 60 * 3 * 2];
  int rc = avs_clip_read(r, 3.5, 2, 1, dummy);
  tst_true(rc < 0 && strstr(avs_errmsg(), "lasts"), "a clip past the end fails clearly: %s", avs_errmsg());
  rc = avs_clip_read(r, 0, 0, 1, dummy);
  tst_true(rc == AVS_EINVAL, "T = 0 is refused: %s", avs_errmsg());

  /* Evenly spaced clips. */
  double starts[4];
  avs_clip_starts(avs_video_info_get(v), 10, 3, 4, 1, starts);
  tst_true(fabs(starts[0]) < 1e-9 && fabs(starts[1] - 1.3) < 1e-9 && fabs(starts[2] - 2.6) < 1e-9,
           "3 clips of 4 at 10 fps over 3 s start at 0, 1.3, 2.6 (%g %g %g)", starts[0], starts[1], starts[2]);
  avs_clip_starts(avs_video_info_get(v), 10, 1, 10, 1, starts);
  tst_true(fabs(starts[0] - 1.0) < 1e-9, "one clip is centred (%g)", starts[0]);
  avs_clip_starts(avs_video_info_get(v), 10, 2, 40, 1, starts);
  tst_true(starts[0] == 0 && starts[1] == 0, "clips longer than the video start at 0");
  avs_tensor *clips = NULL;
  rc = avs_clip_read_evenly(r, 3, 4, 1, &clips);
  if (tst_true(rc == 0 && clips && clips->ndim == 5 && clips->shape[0] == 3 && clips->shape[1] == 4 &&
                   clips->shape[2] == 60 && clips->shape[3] == 80 && clips->shape[4] == 3,
               "avs_clip_read_evenly gives a (3, 4, 60, 80, 3) tensor")) {
    int idx[12];
    clip_indices(clips->data, 12, 80, 60, idx);
    tst_true(idx[0] == 0 && idx[3] == 9 && idx[4] == 39 && idx[8] == 78 && idx[11] == 87,
             "evenly spaced clips start at frames 0, 39, 78 (%d %d %d, last %d)", idx[0], idx[4], idx[8], idx[11]);
  }
  avs_tensor_free(&clips);
  avs_clip_reader_free(&r);
  avs_video_free(&v);

  /* Geometry plans. */
  check_plan((avs_geom){112, 112, 128, AVS_FIT_CROP}, 320, 240, (avs_geom_plan){112, 112, 171, 128, -29, -8});
  check_plan((avs_geom){112, 112, 0, AVS_FIT_CROP}, 320, 240, (avs_geom_plan){112, 112, 149, 112, -18, 0});
  check_plan((avs_geom){224, 224, 256, AVS_FIT_CROP}, 1280, 720, (avs_geom_plan){224, 224, 455, 256, -115, -16});
  check_plan((avs_geom){112, 112, 0, AVS_FIT_LETTERBOX}, 320, 240, (avs_geom_plan){112, 112, 112, 84, 0, 14});
  check_plan((avs_geom){112, 112, 0, AVS_FIT_LETTERBOX}, 100, 400, (avs_geom_plan){112, 112, 28, 112, 42, 0});
  check_plan((avs_geom){64, 32, 0, AVS_FIT_STRETCH}, 320, 240, (avs_geom_plan){64, 32, 64, 32, 0, 0});
  check_plan((avs_geom){0, 0, 0, AVS_FIT_CROP}, 33, 17, (avs_geom_plan){33, 17, 33, 17, 0, 0});
  check_plan((avs_geom){0, 0, 128, AVS_FIT_CROP}, 320, 240, (avs_geom_plan){171, 128, 171, 128, 0, 0});
  check_plan((avs_geom){7, 5, 0, AVS_FIT_CROP}, 1, 1, (avs_geom_plan){7, 5, 7, 7, 0, -1});
  avs_geom_plan p;
  tst_true(avs_geom_plan_for(&(avs_geom){112, 0, 0, 0}, 320, 240, &p) == AVS_EINVAL, "112x0 box is refused");
  tst_true(avs_geom_plan_for(&(avs_geom){0, 0, 16000, 0}, 1, 9000, &p) == AVS_EINVAL,
           "a resize to an enormous frame is refused: %s", avs_errmsg());

  /* Crop and letterbox on real frames: sizes and black bands. */
  v = open_src();
  avs_norm i3d;
  avs_norm_preset("i3d", &i3d);
  cp = (avs_clip_params){.fps = 8, .geom = {112, 112, 0, AVS_FIT_LETTERBOX}, .norm = &i3d};
  avs_clip_reader_new(v, &cp, &r);
  int w, h;
  avs_clip_reader_frame_size(r, &w, &h);
  float *f = malloc(sizeof(float) * 112 * 112 * 3);
  uint8_t *rgb = malloc(112 * 112 * 3);
  rc = avs_clip_reader_next(r, f, rgb, NULL);
  bool band = true, range = true, match = true;
  for (int i = 0; i < 112 * 112 * 3; i++) {
    int y = i / (112 * 3);
    if ((y < 14 || y >= 98) && (rgb[i] != 0 || f[i] != -1.0f)) band = false;
    if (f[i] < -1 || f[i] > 1) range = false;
    if (fabsf(f[i] - (rgb[i] / 127.5f - 1)) > 1e-6f) match = false;
  }
  tst_true(rc == 1 && w == 112 && h == 112, "letterbox frame is 112x112");
  tst_true(band, "letterbox bands are black (-1 in I3D's range)");
  tst_true(range && match, "I3D normalisation is x / 127.5 - 1 in [-1, 1]");
  avs_clip_reader_free(&r);
  cp = (avs_clip_params){.fps = 0, .geom = {112, 112, 128, AVS_FIT_CROP}};
  avs_clip_reader_new(v, &cp, &r);
  avs_clip_reader_frame_size(r, &w, &h);
  tst_true(w == 112 && h == 112 && avs_clip_reader_next(r, f, NULL, NULL) == 1, "crop frame is 112x112");
  avs_clip_reader_free(&r);
  cp = (avs_clip_params){.fps = 0, .geom = {0, 0, 0, 0}};
  avs_clip_reader_new(v, &cp, &r);
  avs_clip_reader_frame_size(r, &w, &h);
  tst_true(w == 160 && h == 120, "all-zero geometry keeps the native 160x120 (%dx%d)", w, h);
  avs_clip_reader_free(&r);
  avs_video_free(&v);
  free(f);
  free(rgb);

  /* The same pixels as FFmpeg's scale (bilinear) + crop / pad filters. */
  if (vt_have_ffmpeg()) {
    const char *tsrc = vt_path("t320.mp4"), *raw = vt_path("ff.rgb");
    struct {
      avs_geom g;
      const char *vf;
    } pc[] = {{{112, 112, 128, AVS_FIT_CROP}, "scale=171:128:flags=bilinear,crop=112:112:29:8"},
              {{112, 112, 0, AVS_FIT_LETTERBOX}, "scale=112:84:flags=bilinear,pad=112:112:0:14"}};
    if (vt_ffmpeg("-f lavfi -i testsrc2=size=320x240:rate=25:duration=1 -c:v libx264 -preset ultrafast '%s'", tsrc))
      for (int k = 0; k < 2; k++) {
        if (!vt_ffmpeg("-i '%s' -vf %s -f rawvideo -pix_fmt rgb24 '%s'", tsrc, pc[k].vf, raw)) continue;
        FILE *fr = fopen(raw, "rb");
        v = NULL;
        avs_video_open(tsrc, NULL, &v);
        avs_clip_reader_new(v, &(avs_clip_params){.geom = pc[k].g}, &r);
        static uint8_t a[112 * 112 * 3], b[112 * 112 * 3];
        int frames = 0, maxd = 0;
        while (avs_clip_reader_next(r, NULL, a, NULL) == 1 && fr && fread(b, 1, sizeof b, fr) == sizeof b) {
          for (size_t i = 0; i < sizeof a; i++) maxd = abs(a[i] - b[i]) > maxd ? abs(a[i] - b[i]) : maxd;
          frames++;
        }
        tst_true(frames == 25 && maxd == 0, "%s: %d frames equal to ffmpeg -vf %s (max diff %d)",
                 k ? "letterbox" : "crop", frames, pc[k].vf, maxd);
        if (fr) fclose(fr);
        avs_clip_reader_free(&r);
        avs_video_free(&v);
      }
  }

  /* Normalisation presets. */
  avs_norm n;
  uint8_t px[6] = {0, 128, 255, 255, 255, 255};
  float o[6];
  avs_norm_preset("kinetics", &n);
  avs_norm_apply(&n, px, 2, o);
  tst_true(fabsf(o[0] - (-0.43216f / 0.22803f)) < 1e-5f && fabsf(o[3] - (1 - 0.43216f) / 0.22803f) < 1e-5f &&
               fabsf(o[1] - (128 / 255.f - 0.394666f) / 0.22145f) < 1e-5f,
           "kinetics: (x/255 - mean) / std with torchvision's video mean and std");
  avs_norm_preset("c3d", &n);
  avs_norm_apply(&n, px, 2, o);
  tst_true(o[0] == 0 && o[1] == 128 && o[2] == 255, "c3d: raw 0..255");
  avs_norm_preset("imagenet", &n);
  avs_norm_apply(&n, px, 2, o);
  uint8_t back[6];
  avs_norm_invert(&n, o, 2, back);
  tst_true(!memcmp(back, px, 6), "imagenet normalisation inverts exactly");
  tst_true(avs_norm_preset("bogus", &n) == AVS_EINVAL && strstr(avs_errmsg(), "kinetics"),
           "unknown preset lists the known ones: %s", avs_errmsg());
  return tst_finish();
}
