/* Video front end speed.
 *
 * Decode: a 60 s 720p H.264 clip (made once with the ffmpeg CLI, kept in
 * $AVS_BENCH_DIR or /tmp/avs-bench) sampled at 8 fps as 112x112 frames
 * (shorter side to 112, centre crop) and normalised to floats, against the
 * ffmpeg CLI doing the same geometry in the same run:
 *   ffmpeg -i clip.mp4 -vf fps=8,scale=199:112,crop=112:112 -f rawvideo -pix_fmt rgb24 -y /dev/null
 * Goal: within 1.2x of the CLI. Both decode with FFmpeg's automatic threading.
 *
 * TV-L1: flow of consecutive 112x112 frames of that clip, frames per second,
 * one pair at a time (one thread) and a 16-pair clip (pairs in parallel). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "av/avs.h"
#include "bench_common.h"
#include "video/video.h"

static const char *clip_path;

static int extra(int argc, char **argv, int i) {
  if (!strcmp(argv[i], "--clip") && i + 1 < argc) {
    clip_path = argv[i + 1];
    return 2;
  }
  return 0;
}

/* CPU seconds (user + system) of this process or of its waited-for children. */
static double cpu_s(int who) {
  struct rusage ru;
  getrusage(who, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + 1e-6 * (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}


static const char *make_clip(void) {
  if (clip_path) return clip_path;
  return bench_cached_video("h264_720p_60s.mp4", "-f lavfi -i testsrc2=size=1280x720:rate=30:duration=60 "
                                                 "-c:v libx264 -preset fast -crf 23 -pix_fmt yuv420p");
}

typedef struct {
  const char *path;
  int frames;
} decode_arg;

static int decode_avs(decode_arg *a) {
  avs_video *v = NULL;
  avs_clip_reader *r = NULL;
  avs_norm kin;
  avs_norm_preset("kinetics", &kin);
  int rc = avs_video_open(a->path, NULL, &v);
  if (!rc) rc = avs_clip_reader_new(v, &(avs_clip_params){.fps = 8, .geom = {112, 112, 0, AVS_FIT_CROP}, .norm = &kin}, &r);
  static float frame[112 * 112 * 3];
  a->frames = 0;
  while (!rc) {
    int got = avs_clip_reader_next(r, frame, NULL, NULL);
    if (got != 1) {
      rc = got;
      break;
    }
    a->frames++;
  }
  avs_clip_reader_free(&r);
  avs_video_free(&v);
  return rc < 0 ? rc : 0;
}

static int decode_cli(decode_arg *p) {
  char cmd[1400];
  snprintf(cmd, sizeof cmd,
           "ffmpeg -nostdin -v error -i '%s' -vf fps=8,scale=199:112,crop=112:112 -f rawvideo -pix_fmt rgb24 -y /dev/null",
           p->path);
  return system(cmd);
}

typedef struct {
  const float *gray; /* T gray frames */
  float *flow;
  int T;
} flow_arg;

static int flow_pairs(void *p) {
  flow_arg *a = p;
  for (int t = 0; t + 1 < a->T; t++) {
    int rc = avs_flow_tvl1(a->gray + (size_t)t * 112 * 112, a->gray + (size_t)(t + 1) * 112 * 112, 112, 112, NULL,
                           a->flow + (size_t)t * 112 * 112 * 2);
    if (rc) return rc;
  }
  return 0;
}

static const float *clip_frames;
static int flow_clip(void *p) {
  flow_arg *a = p;
  return avs_flow_tvl1_clip(clip_frames, a->T, 112, 112, NULL, NULL, a->flow);
}

int main(int argc, char **argv) {
  bench_opts o = {.threads = 2, .reps = 3, .warmup = 1, .torch = true};
  bench_init(argc, argv, &o, "video", "  --clip FILE       use this video instead of the generated 60 s 720p clip\n",
             extra);
  bench_print_env("video front end: decode + sample vs the ffmpeg CLI, TV-L1 optical flow");
  const char *path = make_clip();
  avs_video *v = NULL;
  if (avs_video_open(path, NULL, &v)) bench_die("open the clip");
  const avs_video_info *in = avs_video_info_get(v);
  const double src_frames = in->fps * in->duration;
  printf("clip: %s, %dx%d, %.2f fps, %.1f s\n", path, in->width, in->height, in->fps, in->duration);
  avs_video_free(&v);

  /* Alternate the two so that a change in machine load hits both alike. */
  decode_arg da = {.path = path};
  const bool cli = bench_have_ffmpeg();
  double t_avs[64], t_cli[64], c_avs[64], c_cli[64];
  int reps = o.reps < 64 ? o.reps : 64;
  for (int i = -o.warmup; i < reps; i++) {
    double c0 = cpu_s(RUSAGE_SELF), t0 = bench_now_ms();
    if (decode_avs(&da)) bench_die("decode");
    double t1 = bench_now_ms(), c1 = cpu_s(RUSAGE_SELF), k1 = cpu_s(RUSAGE_CHILDREN);
    if (cli && decode_cli(&da)) {
      fprintf(stderr, "bench_video: the ffmpeg CLI failed\n");
      return 1;
    }
    double t2 = bench_now_ms(), k2 = cpu_s(RUSAGE_CHILDREN);
    if (i >= 0) t_avs[i] = t1 - t0, t_cli[i] = t2 - t1, c_avs[i] = 1e3 * (c1 - c0), c_cli[i] = 1e3 * (k2 - k1);
  }
  double avs_ms = bench_median(t_avs, reps), cli_ms = cli ? bench_median(t_cli, reps) : -1;
  double avs_cpu = bench_median(c_avs, reps), cli_cpu = cli ? bench_median(c_cli, reps) : -1;
  if (cli_ms > 0)
    printf("decode to 112x112 @ 8 fps (%d frames): avs %.1f ms, ffmpeg CLI %.1f ms, ratio %.2f (goal <= 1.2)\n",
           da.frames, avs_ms, cli_ms, avs_ms / cli_ms);
  else
    printf("decode to 112x112 @ 8 fps (%d frames): avs %.1f ms, ffmpeg CLI n/a\n", da.frames, avs_ms);
  if (cli_cpu > 0)
    printf("  CPU time (user+sys, all threads): avs %.1f ms, ffmpeg CLI %.1f ms, ratio %.2f\n", avs_cpu, cli_cpu,
           avs_cpu / cli_cpu);
  printf("  = %.0f source frames/s decoded, %.0f output frames/s (wall)\n", src_frames / (avs_ms / 1e3),
         da.frames / (avs_ms / 1e3));

  /* TV-L1 on 17 consecutive frames of the clip (raw 0..255 RGB). */
  enum { T = 17 };
  float *frames = malloc(sizeof(float) * T * 112 * 112 * 3), *gray = malloc(sizeof(float) * T * 112 * 112);
  float *flow = malloc(sizeof(float) * (T - 1) * 112 * 112 * 2);
  avs_video_open(path, NULL, &v);
  avs_clip_reader *r = NULL;
  avs_clip_reader_new(v, &(avs_clip_params){.fps = 25, .geom = {112, 112, 0, AVS_FIT_CROP}}, &r);
  if (avs_clip_read(r, 10.0, T, 1, frames) < 0) bench_die("read frames for the flow");
  avs_clip_reader_free(&r);
  avs_video_free(&v);
  for (int t = 0; t < T; t++) avs_flow_gray(frames + (size_t)t * 112 * 112 * 3, 112 * 112, NULL, gray + (size_t)t * 112 * 112);
  clip_frames = frames;
  flow_arg fa = {gray, flow, T};
  double pair_ms = bench_time(&o, flow_pairs, &fa);
  double clip_ms = bench_time(&o, flow_clip, &fa);
  printf("TV-L1 112x112 (IPOL parameters, %d pairs): %.1f frames/s one pair at a time (%.1f ms/pair), "
         "%.1f frames/s as a clip on %d threads\n",
         T - 1, (T - 1) / (pair_ms / 1e3), pair_ms / (T - 1), (T - 1) / (clip_ms / 1e3), avs_threads_get());
  free(frames);
  free(gray);
  free(flow);
  return 0;
}
