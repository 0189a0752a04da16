/* Broken files: good videos (our writer's MP4/MKV/MOV; the ffmpeg CLI's WebM,
 * AVI, GIF when it is installed) truncated at many lengths and with bits
 * flipped, bytes zeroed and blocks overwritten. Each one is opened, decoded to
 * the end and sampled as clips (seek, evenly spaced clips, letterbox and crop).
 * Nothing may crash or hang; a failure must be one line; damage gives a few
 * warnings, not one per packet. Built a second time with AddressSanitizer and
 * UBSan (video_corrupt_asan) so memory errors fail the suite. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/video/vtest.h"

static int warnings, errors_logged;

static void count_log(avs_log_level level, const char *msg, void *user) {
  (void)user;
  (void)msg;
  if (level == AVS_LOG_WARN) warnings++;
  if (level == AVS_LOG_ERROR) errors_logged++;
}

static unsigned char *slurp(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *buf = malloc(len > 0 ? (size_t)len : 1);
  *n = fread(buf, 1, (size_t)len, f);
  fclose(f);
  return buf;
}

static void spit(const char *path, const unsigned char *buf, size_t n) {
  FILE *f = fopen(path, "wb");
  if (n) fwrite(buf, 1, n, f);
  fclose(f);
}

static bool one_line(void) { return avs_errmsg()[0] && !strchr(avs_errmsg(), '\n'); }

/* Everything a user of the library might do with the file. Returns false on a contract breach. */
static bool exercise(const char *path, char *summary, size_t ssz) {
  avs_video *v = NULL;
  warnings = 0;
  int rc = avs_video_open(path, NULL, &v);
  if (rc) {
    snprintf(summary, ssz, "refused: %s", avs_errmsg());
    return one_line() && !v;
  }
  const double duration = avs_video_info_get(v)->duration;
  int64_t frames = 0;
  double t;
  while ((rc = avs_video_next(v, &t)) > 0) frames++;
  bool ok = rc == 0 || one_line();
  avs_video_stats st;
  avs_video_stats_get(v, &st);
  avs_video_free(&v);
  int decode_warnings = warnings;

  /* Clips: reopen, sample at 8 fps with crop, then letterbox, seek and evenly spaced clips. */
  int clips_ok = 0, clips_failed = 0;
  if (avs_video_open(path, NULL, &v) == 0) {
    avs_norm kin;
    avs_norm_preset("kinetics", &kin);
    for (int mode = 0; mode < 2; mode++) {
      avs_clip_params cp = {.fps = 8, .geom = {64, 48, 72, mode ? AVS_FIT_LETTERBOX : AVS_FIT_CROP}, .norm = &kin};
      avs_clip_reader *r = NULL;
      if (avs_clip_reader_new(v, &cp, &r)) {
        ok &= one_line();
        continue;
      }
      float *clip = malloc(sizeof(float) * 4 * 64 * 48 * 3);
      double starts[] = {0, duration > 0 ? duration / 2 : 0.5, AVS_CLIP_CONTINUE, 0.1};
      for (int i = 0; i < 4; i++) {
        int got = avs_clip_read(r, starts[i], 4, 1 + i % 2, clip);
        if (got > 0) clips_ok++;
        else clips_failed++, ok &= one_line();
      }
      avs_tensor *ev = NULL;
      if (avs_clip_read_evenly(r, 3, 4, 1, &ev) == 0) clips_ok++;
      else clips_failed++, ok &= one_line();
      avs_tensor_free(&ev);
      free(clip);
      avs_clip_reader_free(&r);
    }
    avs_video_free(&v);
  }
  snprintf(summary, ssz, "%lld frames, %lld bad packets, %lld concealed, %d clips (%d failed), %d warnings",
           (long long)frames, (long long)st.bad_packets, (long long)st.damaged_frames, clips_ok, clips_failed,
           decode_warnings);
  /* Damage is reported once per pass (first bad packet, first concealed frame, the summary), not per packet. */
  return ok && decode_warnings <= 4;
}

typedef struct {
  uint64_t s;
} lcg;
static uint64_t next(lcg *g) { return g->s = g->s * 6364136223846793005ULL + 1442695040888963407ULL, g->s >> 17; }

static int n_cases, n_bad;

static void run_case(const char *src_name, const char *tag, const char *path) {
  char summary[512];
  bool ok = exercise(path, summary, sizeof summary);
  n_cases++;
  if (!ok) n_bad++;
  tst_true(ok, "%s %-10s %s", src_name, tag, summary);
}

static void corpus(const char *name) {
  const char *src = vt_path(name);
  size_t n = 0;
  unsigned char *good = slurp(src, &n);
  if (!tst_true(good && n > 1000, "source %s (%zu bytes)", name, n)) return;
  run_case(name, "intact", src);
  const char *ext = strrchr(name, '.');
  char path[1400], tag[32];
  snprintf(path, sizeof path, "%s/broken%s", vt_dir_current(), ext);
  /* Truncations. */
  const double fracs[] = {0.0, 0.01, 0.05, 0.2, 0.5, 0.8, 0.95, 0.999};
  const size_t bytes[] = {1, 16, 100};
  for (size_t i = 0; i < sizeof fracs / sizeof *fracs; i++) {
    snprintf(tag, sizeof tag, "cut%.1f%%", 100 * fracs[i]);
    spit(path, good, (size_t)(n * fracs[i]));
    run_case(name, tag, path);
  }
  for (size_t i = 0; i < sizeof bytes / sizeof *bytes; i++) {
    snprintf(tag, sizeof tag, "cut%zuB", bytes[i]);
    spit(path, good, bytes[i]);
    run_case(name, tag, path);
  }
  /* Bit flips (the first 64 bytes are spared in half the cases, so the damage is mid-file). */
  unsigned char *bad = malloc(n);
  lcg g = {(uint64_t)n * 7919 + (unsigned char)name[0]};
  const int flips[] = {1, 3, 10, 30, 100, 300};
  for (int rep = 0; rep < 2; rep++)
    for (size_t i = 0; i < sizeof flips / sizeof *flips; i++) {
      memcpy(bad, good, n);
      size_t lo = rep ? 64 : 0;
      for (int k = 0; k < flips[i]; k++) bad[lo + next(&g) % (n - lo)] ^= (unsigned char)(1u << (next(&g) % 8));
      snprintf(tag, sizeof tag, "flip%d%s", flips[i], rep ? "mid" : "");
      spit(path, bad, n);
      run_case(name, tag, path);
    }
  /* A zeroed stretch and a random block in the middle, and a header byte storm. */
  memcpy(bad, good, n);
  memset(bad + n / 3, 0, n / 10);
  spit(path, bad, n);
  run_case(name, "zeroed", path);
  memcpy(bad, good, n);
  for (size_t i = n / 2; i < n / 2 + 512 && i < n; i++) bad[i] = (unsigned char)next(&g);
  spit(path, bad, n);
  run_case(name, "block", path);
  memcpy(bad, good, n);
  for (size_t i = 0; i < 256 && i < n; i++) bad[i] = (unsigned char)next(&g);
  spit(path, bad, n);
  run_case(name, "header", path);
  free(bad);
  free(good);
}

#ifndef VT_NAME
#define VT_NAME "corrupt"
#endif

int main(void) {
  vt_dir(VT_NAME);
  avs_log_set_callback(count_log, NULL);
  avs_log_set_level(AVS_LOG_WARN);
  const char *ours[] = {"w.mp4", "w.mkv", "w.mov"};
  for (int i = 0; i < 3; i++)
    if (vt_make_indexed(vt_path(ours[i]), 96, 64, 15, 30, i != 1))
      tst_true(false, "cannot write the source %s: %s", ours[i], avs_errmsg());
  const char *cli[] = {"c.webm", "c.avi", "c.gif", "c.mkv"};
  const char *cli_args[] = {"-c:v libvpx-vp9 -b:v 100k -deadline realtime -cpu-used 8 -g 10", "-c:v mpeg4 -g 10",
                            "", "-c:v libx264 -preset ultrafast -g 5 -bf 2 -c:a flac"};
  bool have_cli = vt_have_ffmpeg();
  bool made[4] = {false, false, false, false};
  if (have_cli)
    for (int i = 0; i < 4; i++)
      made[i] = vt_ffmpeg("-f lavfi -i testsrc2=size=96x64:rate=10:duration=2 %s %s '%s'",
                          i == 3 ? "-f lavfi -i sine=d=2" : "", cli_args[i], vt_path(cli[i]));
  for (int i = 0; i < 3; i++) corpus(ours[i]);
  for (int i = 0; i < 4; i++)
    if (made[i]) corpus(cli[i]);
  printf("%d broken files, %d broke the contract\n", n_cases, n_bad);
  return tst_finish();
}
