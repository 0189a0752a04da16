/* The generator's contract, kind by kind:
 *   determinism: a clip's frames and stems depend only on its seed (not on
 *     what was rendered before, on which generator instance, or on threads);
 *   ground truth: the mixture is exactly the sum of the stems, every box lies
 *     inside the frame, sounding objects are visible in every frame, silent
 *     ones have no stem; speech mouths lie inside their faces;
 *   files: WAVs read back sample for sample, the manifest line parses;
 *   several soundfonts (music): each sounding object draws one, the manifest
 *     names it; an empty or missing name in the list refused. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "audio/audio_file.h"
#include "av/status.h"
#include "data/generator/avdata.h"
#include "data/generator/fluid.h"
#include "data/generator/splits.h"
#include "tests/harness.h"

static const char *out_root = "data_generator_out";

static bool same_clip(const avs_data_clip *a, const avs_data_clip *b) {
  size_t npx = (size_t)a->n_frames * a->width * a->height * 3;
  if (a->n != b->n || a->n_frames != b->n_frames || a->n_samples != b->n_samples) return false;
  if (memcmp(a->frames, b->frames, npx * sizeof(float)) || memcmp(a->rgb, b->rgb, npx)) return false;
  if (a->n_samples && memcmp(a->mix, b->mix, (size_t)a->n_samples * 2)) return false;
  for (int i = 0; i < a->n; i++) {
    if ((a->obj[i].stem == NULL) != (b->obj[i].stem == NULL)) return false;
    if (a->obj[i].stem && memcmp(a->obj[i].stem, b->obj[i].stem, (size_t)a->n_samples * 2)) return false;
    if (memcmp(a->obj[i].box, b->obj[i].box, (size_t)a->n_frames * sizeof(avs_rect))) return false;
  }
  return true;
}


/* Pearson correlation of x and y over n values (0 when either is constant). */
static double corr(const double *x, const double *y, int n) {
  double mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;
  for (int i = 0; i < n; i++) mx += x[i], my += y[i];
  mx /= n, my /= n;
  for (int i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  return sxx > 0 && syy > 0 ? sxy / sqrt(sxx * syy) : 0;
}

/* Synchrony: what is seen follows each source's own sound. Music: an object's
 * brightness inside its box follows its stem's loudness per frame. Speech: the
 * mouth box's height follows the speaker's loudness. Returns the correlation
 * for each sounding object in c (appended to out). */
static int sync_scores(const avs_data_clip *c, double *out) {
  int n_out = 0, F = c->n_frames;
  double loud[256], seen[256];
  for (int k = 0; k < c->n && F <= 256; k++) {
    const avs_data_object *o = &c->obj[k];
    if (!o->stem) continue;
    for (int f = 0; f < F; f++) {
      int64_t a = (int64_t)((f - 0.5) * c->sample_rate / c->fps), b = (int64_t)((f + 0.5) * c->sample_rate / c->fps);
      if (a < 0) a = 0;
      if (b > c->n_samples) b = c->n_samples;
      double e = 0;
      for (int64_t i = a; i < b; i++) e += (double)o->stem[i] * o->stem[i];
      loud[f] = sqrt(e / (double)(b - a));
      if (c->kind == AVS_DATA_SPEECH) {
        seen[f] = o->mouth[f].y1 - o->mouth[f].y0;
      } else {
        avs_rect r = o->box[f];
        double sum = 0;
        int cnt = 0;
        for (int y = (int)r.y0; y < (int)r.y1; y++)
          for (int x = (int)r.x0; x < (int)r.x1; x++) {
            const uint8_t *p = c->rgb + (((size_t)f * c->height + y) * c->width + x) * 3;
            sum += p[0] + p[1] + p[2];
            cnt++;
          }
        seen[f] = cnt ? sum / cnt : 0;
      }
    }
    out[n_out++] = corr(loud, seen, F);
  }
  return n_out;
}

static void render(avs_data_gen *g, uint64_t seed, avs_data_plan_t *p, avs_data_clip *c) {
  if (avs_data_plan(g, seed, p) || avs_data_render(g, p, c)) {
    printf("FAIL render seed %llu: %s\n", (unsigned long long)seed, avs_errmsg());
    exit(1);
  }
}

static void ground_truth(const char *kind, const avs_data_plan_t *p, const avs_data_clip *c) {
  int64_t bad_sum = 0;
  for (int64_t i = 0; i < c->n_samples; i++) {
    int s = 0;
    for (int k = 0; k < c->n; k++)
      if (c->obj[k].stem) s += c->obj[k].stem[i];
    bad_sum += s != c->mix[i];
  }
  if (c->n_samples) tst_true(bad_sum == 0, "%s: mixture == sum of stems (%lld samples differ)", kind, (long long)bad_sum);
  int outside = 0, invisible = 0, silent_stem = 0, quiet = 0, mouth_out = 0;
  for (int k = 0; k < c->n; k++) {
    const avs_data_object *o = &c->obj[k];
    if (c->n_samples) {
      if (!o->sounding && o->stem) silent_stem++;
      if (o->sounding) {
        double e = 0;
        for (int64_t i = 0; i < c->n_samples; i++) e += (double)o->stem[i] * o->stem[i];
        quiet += e == 0;
      }
    }
    for (int f = 0; f < c->n_frames; f++) {
      avs_rect b = o->box[f];
      outside += b.x0 < 0 || b.y0 < 0 || b.x1 > c->width || b.y1 > c->height || b.x0 > b.x1 || b.y0 > b.y1;
      invisible += (o->sounding || c->kind == AVS_DATA_ACTIONS) && (b.x1 - b.x0 < 2 || b.y1 - b.y0 < 2);
      if (o->mouth) {
        float mx = 0.5f * (o->mouth[f].x0 + o->mouth[f].x1), my = 0.5f * (o->mouth[f].y0 + o->mouth[f].y1);
        mouth_out += mx < b.x0 || mx > b.x1 || my < b.y0 || my > b.y1;
      }
    }
  }
  tst_true(outside == 0, "%s: %d boxes outside the frame", kind, outside);
  tst_true(invisible == 0, "%s: %d frames where a sounding object is not visible", kind, invisible);
  if (c->n_samples) tst_true(silent_stem == 0 && quiet == 0, "%s: stems only for sounding objects, none silent", kind);
  if (c->kind == AVS_DATA_SPEECH) tst_true(mouth_out == 0, "%s: mouths inside their faces (%d outside)", kind, mouth_out);
  (void)p;
}

static void files(const char *kind, avs_data_gen *g, const avs_data_plan_t *p, const avs_data_clip *c) {
  char *json = NULL;
  int rc = avs_data_clip_write(g, p, c, out_root, kind, "test", false, &json);
  if (!tst_true(rc == 0, "%s: clip written (%s)", kind, rc ? avs_errmsg() : "")) return;
  cJSON *j = cJSON_Parse(json);
  tst_true(j != NULL, "%s: manifest line parses", kind);
  cJSON *objs = cJSON_GetObjectItem(j, "objects");
  tst_true(cJSON_GetArraySize(objs) == c->n, "%s: one manifest object per object in view", kind);
  cJSON *o0 = cJSON_GetArrayItem(objs, 0);
  tst_true(cJSON_GetArraySize(cJSON_GetObjectItem(o0, "boxes")) == c->n_frames, "%s: one box per frame", kind);
  char path[512];
  snprintf(path, sizeof path, "%s/clips/%s/video.mp4", out_root, kind);
  struct stat sb;
  tst_true(!stat(path, &sb) && sb.st_size > 1000, "%s: video.mp4 written", kind);
  if (c->n_samples) {
    for (int k = -1; k < c->n; k++) {
      const int16_t *want = k < 0 ? c->mix : c->obj[k].stem;
      if (!want) continue;
      if (k < 0)
        snprintf(path, sizeof path, "%s/clips/%s/mix.wav", out_root, kind);
      else
        snprintf(path, sizeof path, "%s/clips/%s/s%d.wav", out_root, kind, k);
      avs_audio *a = NULL;
      int64_t bad = -1;
      if (!avs_audio_read(path, &a) && a->frames == c->n_samples) {
        bad = 0;
        for (int64_t i = 0; i < a->frames; i++) bad += a->data[i] != want[i] / 32768.0f;
      }
      tst_true(bad == 0, "%s: %s reads back sample for sample", kind, path);
      avs_audio_free(&a);
    }
  }
  cJSON_Delete(j);
  free(json);
}

/* cfg.soundfont "F,F" (Debian's FluidR3, the one every machine here has, twice): over 40 clips both
 * entries render objects, a written clip names each sounding object's soundfont; lists with an
 * empty or a missing name refused. */
static void soundfont_list_tests(void) {
  char list[600];
  snprintf(list, sizeof list, "%s,%s", AVS_DEFAULT_SOUNDFONT, AVS_DEFAULT_SOUNDFONT);
  avs_data_config cfg;
  avs_data_config_default(&cfg, AVS_DATA_MUSIC);
  cfg.soundfont = list;
  avs_data_gen *g = NULL;
  int rc = avs_data_gen_new(&cfg, &g);
  if (!tst_true(rc == 0, "two soundfonts: %s", rc ? avs_errmsg() : "loaded")) return;
  int used[2] = {0}, other = 0;
  avs_data_plan_t p;
  for (uint64_t seed = 1; seed <= 40; seed++)
    for (int i = 0; !avs_data_plan(g, seed, &p) && i < p.n_sounding; i++)
      p.src[i].soundfont == 0 || p.src[i].soundfont == 1 ? used[p.src[i].soundfont]++ : other++;
  tst_true(used[0] > 10 && used[1] > 10 && !other, "objects drawn from both soundfonts: %d and %d (%d other)", used[0],
           used[1], other);
  avs_data_clip c;
  memset(&c, 0, sizeof c);
  char *json = NULL;
  uint64_t seed = 5; /* a clip with two sounding objects or more */
  while (!avs_data_plan(g, seed, &p) && p.n_sounding < 2 && seed < 50) seed++;
  rc = avs_data_plan(g, seed, &p) || avs_data_render(g, &p, &c) ||
       avs_data_clip_write(g, &p, &c, out_root, "music_soundfonts", "test", false, &json);
  cJSON *j = rc ? NULL : cJSON_Parse(json), *objs = cJSON_GetObjectItem(j, "objects");
  int named = 0;
  for (int i = 0; i < cJSON_GetArraySize(objs); i++) {
    const char *sf = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(objs, i), "soundfont"));
    named += sf && !strcmp(sf, AVS_DEFAULT_SOUNDFONT);
  }
  tst_true(!rc && named == p.n_sounding, "the manifest names the soundfont of %d of %d sounding objects", named,
           p.n_sounding);
  cJSON_Delete(j);
  free(json);
  avs_data_clip_free(&c);
  avs_data_gen_free(&g);
  snprintf(list, sizeof list, "%s,", AVS_DEFAULT_SOUNDFONT);
  tst_true(avs_data_gen_new(&cfg, &g) == AVS_EINVAL && strstr(avs_errmsg(), "empty name"), "'%s' refused: %s", list,
           avs_errmsg());
  snprintf(list, sizeof list, "%s,/nonexistent/b.sf2", AVS_DEFAULT_SOUNDFONT);
  tst_true(avs_data_gen_new(&cfg, &g) == AVS_ENOTFOUND && strstr(avs_errmsg(), "/nonexistent/b.sf2"),
           "a missing second soundfont refused: %s", avs_errmsg());
}

static void kind_tests(avs_data_kind kind) {
  const char *name = avs_data_kind_name(kind);
  avs_data_config cfg;
  avs_data_config_default(&cfg, kind);
  avs_data_gen *g = NULL, *g2 = NULL;
  if (avs_data_gen_new(&cfg, &g) || avs_data_gen_new(&cfg, &g2)) {
    printf("FAIL %s: %s\n", name, avs_errmsg());
    exit(1);
  }
  avs_data_plan_t pa, pb, pa2;
  avs_data_clip a, b, a2, a3;
  uint64_t sa = avs_data_clip_seed(11, kind, 0, 3, 0), sb = avs_data_clip_seed(11, kind, 2, 5, 0);
  render(g, sa, &pa, &a);
  render(g, sb, &pb, &b);
  render(g, sa, &pa2, &a2);
  tst_true(same_clip(&a, &a2), "%s: same seed, same frames, stems and boxes after another clip", name);
  tst_true(!same_clip(&a, &b), "%s: another seed, another clip", name);
  avs_data_clip_free(&a2);
  render(g2, sa, &pa2, &a2);
  tst_true(same_clip(&a, &a2), "%s: same clip from a second generator", name);
  avs_data_clip_free(&a2);
  /* two threads rendering at once (the soundfont and espeak-ng are shared) */
  avs_data_plan_t pt[2];
  avs_data_clip ct[2];
  int rct[2];
#pragma omp parallel for num_threads(2)
  for (int t = 0; t < 2; t++) {
    rct[t] = avs_data_plan(g, t ? sb : sa, &pt[t]);
    if (!rct[t]) rct[t] = avs_data_render(g, &pt[t], &ct[t]);
  }
  if (tst_true(!rct[0] && !rct[1], "%s: rendered on two threads at once", name)) {
    tst_true(same_clip(&a, &ct[0]) && same_clip(&b, &ct[1]), "%s: two threads give the same clips", name);
    avs_data_clip_free(&ct[0]);
    avs_data_clip_free(&ct[1]);
  }
  ground_truth(name, &pa, &a);
  ground_truth(name, &pb, &b);
  /* more clips for the ground truth: every instrument / several speakers / every motion */
  double sync[64];
  int n_sync = 0;
  for (int i = 0; i < 8; i++) {
    avs_data_plan_t p;
    render(g, avs_data_clip_seed(12, kind, 0, i, 0), &p, &a3);
    ground_truth(name, &p, &a3);
    if (kind != AVS_DATA_ACTIONS) n_sync += sync_scores(&a3, sync + n_sync);
    avs_data_clip_free(&a3);
  }
  if (n_sync) {
    double mean = 0, low = 1;
    for (int i = 0; i < n_sync; i++) mean += sync[i] / n_sync, low = fmin(low, sync[i]);
    tst_true(mean > 0.5, "%s: what is seen follows each source's own loudness (mean correlation %.2f over %d sources, "
             "lowest %.2f)", name, mean, n_sync, low);
  }
  files(name, g, &pa, &a);
  avs_data_clip_free(&a);
  avs_data_clip_free(&b);
  avs_data_gen_free(&g);
  avs_data_gen_free(&g2);
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

/* Split sizes and planning (data/generator/splits.h): sizes round as stated,
 * bad fractions are refused, content never repeats, the plan is repeatable. */
static void split_tests(void) {
  static const struct {
    int64_t count;
    float val, test;
    int64_t want[3];
  } sizes[] = {{10, 0.3f, 0.2f, {5, 3, 2}}, {7, 0.45f, 0.45f, {1, 3, 3}}, {3, 0.5f, 0.5f, {0, 1, 2}},
               {5, 0, 1, {0, 0, 5}}, {1, 0.1f, 0.1f, {1, 0, 0}}};
  int64_t n[3];
  for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
    int rc = avs_data_split_sizes(sizes[i].count, sizes[i].val, sizes[i].test, n);
    tst_true(!rc && !memcmp(n, sizes[i].want, sizeof n), "%lld clips, val %g, test %g: %lld/%lld/%lld (want %lld/%lld/%lld)",
             (long long)sizes[i].count, sizes[i].val, sizes[i].test, (long long)n[0], (long long)n[1],
             (long long)n[2], (long long)sizes[i].want[0], (long long)sizes[i].want[1], (long long)sizes[i].want[2]);
  }
  const float bad[][2] = {{NAN, 0.1f}, {0.1f, NAN}, {INFINITY, 0}, {0, -INFINITY}, {-0.1f, 0.1f}, {0.1f, 1.5f},
                          {0.6f, 0.5f}};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    n[0] = n[1] = n[2] = -7;
    int rc = avs_data_split_sizes(100, bad[i][0], bad[i][1], n);
    tst_true(rc == AVS_EINVAL && n[0] == -7, "val %g, test %g refused: %s", bad[i][0], bad[i][1], avs_errmsg());
  }
  tst_true(avs_data_split_sizes(0, 0.1f, 0.1f, n) == AVS_EINVAL, "0 clips refused: %s", avs_errmsg());

  /* 1 s trios: short melodies, so some collide and are re-drawn */
  enum { N = 3000 };
  avs_data_config cfg;
  avs_data_config_default(&cfg, AVS_DATA_MUSIC);
  cfg.min_sources = cfg.max_sources = 3;
  cfg.seconds = 1;
  avs_data_gen *g = NULL;
  int rc = avs_data_gen_new(&cfg, &g);
  if (!tst_true(rc == 0, "music generator for 1 s trios (%s)", rc ? avs_errmsg() : "ok")) return;
  avs_data_splits a, b;
  int ra = avs_data_splits_plan(g, 9, N, 0.2f, 0.1f, &a), rb = avs_data_splits_plan(g, 9, N, 0.2f, 0.1f, &b);
  if (tst_true(ra == 0 && rb == 0, "%d music trios planned (%s)", N, ra || rb ? avs_errmsg() : "ok")) {
    tst_true(a.count == N && a.n_split[0] == 2100 && a.n_split[1] == 600 && a.n_split[2] == 300,
             "splits 2100/600/300: %lld/%lld/%lld", (long long)a.n_split[0], (long long)a.n_split[1],
             (long long)a.n_split[2]);
    tst_true(!memcmp(a.seeds, b.seeds, N * sizeof *a.seeds) && a.redrawn == b.redrawn,
             "the same run seed plans the same clip seeds");
    /* split/index in order, each seed a re-draw of its own slot, every melody distinct */
    static uint64_t fp[N * AVS_DATA_MAX_OBJECTS];
    int n_fp = 0, order_ok = 1, seeds_ok = 1;
    for (int64_t c = 0; c < N; c++) {
      int64_t first = a.split[c] == 0 ? 0 : a.split[c] == 1 ? a.n_split[0] : a.n_split[0] + a.n_split[1];
      order_ok &= a.index[c] == c - first && (c == 0 || a.split[c] >= a.split[c - 1]);
      bool found = false;
      for (int att = 0; att <= AVS_DATA_MAX_ATTEMPTS && !found; att++)
        found = a.seeds[c] == avs_data_clip_seed(9, AVS_DATA_MUSIC, a.split[c], a.index[c], att);
      seeds_ok &= found;
      avs_data_plan_t p;
      avs_data_plan(g, a.seeds[c], &p);
      for (int j = 0; j < p.n; j++)
        if (p.src[j].content) fp[n_fp++] = p.src[j].content;
    }
    qsort(fp, (size_t)n_fp, sizeof *fp, cmp_u64);
    int dups = 0;
    for (int i = 1; i < n_fp; i++) dups += fp[i] == fp[i - 1];
    tst_true(order_ok && seeds_ok, "clips in split order, each seed a re-draw of its own slot");
    tst_true(a.redrawn > 0 && dups == 0 && n_fp == 3 * N, "%lld clips re-drawn, then %d melodies with %d repeated",
             (long long)a.redrawn, n_fp, dups);
  }
  avs_data_splits_free(&a);
  avs_data_splits_free(&b);
  tst_true(!a.seeds && !a.split && !a.index, "free clears the plan");
  avs_data_gen_free(&g);
}

int main(int argc, char **argv) {
  if (argc > 1) out_root = argv[1];
  mkdir(out_root, 0777);
  kind_tests(AVS_DATA_ACTIONS);
  kind_tests(AVS_DATA_MUSIC);
  kind_tests(AVS_DATA_SPEECH);
  split_tests();
  soundfont_list_tests();
  /* bad configuration */
  avs_data_config cfg;
  avs_data_config_default(&cfg, AVS_DATA_MUSIC);
  cfg.soundfont = "/nonexistent/font.sf2";
  avs_data_gen *g = NULL;
  int rc = avs_data_gen_new(&cfg, &g);
  tst_true(rc == AVS_ENOTFOUND && strstr(avs_errmsg(), "/nonexistent/font.sf2"), "missing soundfont: %s", avs_errmsg());
  avs_data_config_default(&cfg, AVS_DATA_SPEECH);
  cfg.voices = "en+m1,xx-nonexistent";
  rc = avs_data_gen_new(&cfg, &g);
  tst_true(rc != 0 && strstr(avs_errmsg(), "xx-nonexistent"), "unknown voice: %s", avs_errmsg());
  avs_data_kind k;
  tst_true(avs_data_kind_parse("drums", &k) == AVS_EINVAL, "unknown kind: %s", avs_errmsg());
  return tst_finish();
}
