/* Audio front end speed.
 *
 * STFT + ISTFT against torch.stft + torch.istft in the same run
 * (bench_audio_torch.py), same threads: 6 s at 11025 Hz with Sound of Pixels'
 * settings (n_fft 1022, hop 256) and 60 s at 16 kHz with the speech settings
 * (n_fft 512, hop 160, win 400). Goal: <= 0.5x PyTorch's time.
 *
 * Audio track: decode + resample + mono down-mix of a 60 s video (H.264 +
 * AAC 48 kHz stereo, made once with the ffmpeg CLI in $AVS_BENCH_DIR or
 * /tmp/avs-bench) to 11025 and 16000 Hz on one core, as x real time (goal
 * >= 200x), beside the ffmpeg CLI doing the same (-threads 1 -vn -ac 1 -ar R). */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio/audio_track.h"
#include "audio/stft.h"
#include "av/avs.h"
#include "bench_common.h"

static const char *clip_path;

static int extra(int argc, char **argv, int i) {
  if (!strcmp(argv[i], "--clip") && i + 1 < argc) {
    clip_path = argv[i + 1];
    return 2;
  }
  return 0;
}

typedef struct {
  const char *name;
  int rate;
  double secs;
  avs_stft_cfg cfg;
  avs_stft *s;
  float *x, *spec, *y;
  int64_t n, frames;
} stft_case;

static int run_fwd(void *arg) {
  stft_case *c = arg;
  return avs_stft_forward(c->s, c->x, c->n, c->spec);
}
static int run_inv(void *arg) {
  stft_case *c = arg;
  return avs_stft_inverse(c->s, c->spec, c->frames, c->n, c->y);
}
static int run_both(void *arg) {
  int rc = run_fwd(arg);
  return rc ? rc : run_inv(arg);
}

static const char *make_clip(void) {
  if (clip_path) return clip_path;
  return bench_cached_video("av_360p_aac_60s.mp4",
                            "-f lavfi -i testsrc2=size=640x360:rate=30:duration=60 "
                            "-f lavfi -i 'sine=frequency=440:sample_rate=48000:duration=60' "
                            "-f lavfi -i 'anoisesrc=color=pink:sample_rate=48000:amplitude=0.1:duration=60' "
                            "-filter_complex '[1:a][2:a]amerge=inputs=2[a]' -map 0:v -map '[a]' "
                            "-c:v libx264 -preset veryfast -crf 28 -pix_fmt yuv420p -c:a aac -b:a 128k -ac 2");
}

typedef struct {
  const char *path;
  int rate;
  int64_t frames;
} track_case;

static int run_track(void *arg) {
  track_case *t = arg;
  avs_audio *a = NULL;
  int rc = avs_track_load(t->path, &(avs_track_opts){.rate = t->rate, .channels = 1}, &a);
  if (!rc) t->frames = a->frames;
  avs_audio_free(&a);
  return rc;
}

typedef struct {
  char cmd[1400];
} cli_case;

static int run_cli(void *arg) { return system(((cli_case *)arg)->cmd) != 0; }

int main(int argc, char **argv) {
  bench_opts o = {.threads = 2, .reps = 9, .warmup = 2};
  bench_init(argc, argv, &o, "Audio front end: STFT/ISTFT vs torch, audio track decode + resample",
             "      --clip FILE   60 s video with an audio track (default: made with the ffmpeg CLI)\n", extra);
  bench_print_env("bench_audio");

  stft_case cases[] = {
      {"sop_6s_11025", 11025, 6.0, AVS_STFT_SOP, NULL, NULL, NULL, NULL, 0, 0},
      {"speech_60s_16k", 16000, 60.0, AVS_STFT_SPEECH, NULL, NULL, NULL, NULL, 0, 0},
  };
  char args[512] = "";
  for (size_t k = 0; k < 2; k++) {
    stft_case *c = &cases[k];
    c->n = (int64_t)(c->rate * c->secs);
    if (avs_stft_new(&c->cfg, &c->s)) bench_die("stft plan");
    c->frames = avs_stft_frames(c->s, c->n);
    c->x = malloc(sizeof(float) * (size_t)c->n);
    c->y = malloc(sizeof(float) * (size_t)c->n);
    c->spec = malloc(sizeof(float) * 2 * (size_t)(c->frames * avs_stft_bins(c->s)));
    unsigned u = 1;
    for (int64_t i = 0; i < c->n; i++) {
      u = u * 1664525u + 1013904223u;
      c->x[i] = 0.1f * ((float)((u >> 8) & 0xffff) / 32768.0f - 1.0f);
    }
    size_t l = strlen(args);
    snprintf(args + l, sizeof args - l, " %s:%lld:%d:%d:%d", c->name, (long long)c->n, c->cfg.n_fft, c->cfg.hop,
             c->cfg.win);
  }
  /* torch first (its own process), then ours: the same machine state */
  /* the torch side lives beside this file (AVS_BENCH_AUDIO_TORCH overrides) */
  char here[1024], ref[1100];
  snprintf(here, sizeof here, "%s", __FILE__);
  snprintf(ref, sizeof ref, "%s/bench_audio_torch.py", dirname(here));
  const char *env_ref = getenv("AVS_BENCH_AUDIO_TORCH");
  setenv("AVS_BENCH_TORCH_REF", env_ref && *env_ref ? env_ref : ref, 1);
  bench_kv kv[32];
  int nkv = bench_torch(&o, args, kv, 32);
  for (size_t k = 0; k < 2; k++) {
    stft_case *c = &cases[k];
    char key[64], name[96];
    printf("-- %s: %lld samples, n_fft %d hop %d win %d -> %d x %lld\n", c->name, (long long)c->n, c->cfg.n_fft,
           c->cfg.hop, c->cfg.win, avs_stft_bins(c->s), (long long)c->frames);
    static const char *parts[3] = {"stft", "istft", "both"};
    int (*fns[3])(void *) = {run_fwd, run_inv, run_both};
    run_fwd(c); /* the inverse needs a spectrogram */
    for (int p = 0; p < 3; p++) {
      snprintf(key, sizeof key, "%s_%s", c->name, parts[p]);
      snprintf(name, sizeof name, "%s %s", c->name, p == 2 ? "stft+istft" : parts[p]);
      double ms = bench_time(&o, fns[p], c);
      bench_report(name, ms, nkv > 0 ? bench_kv_get(kv, nkv, key) : -1, p == 2 ? 0.5 : 0);
    }
  }

  /* audio track of a 60 s video, one core */
  const char *clip = make_clip();
  avs_threads_set(1);
  avs_audio *probe = NULL;
  if (avs_track_load(clip, NULL, &probe)) bench_die("audio track");
  const double secs = (double)probe->frames / probe->rate;
  printf("-- audio track of %s: %.1f s, %d Hz, %d channels; one core\n", clip, secs, probe->rate, probe->channels);
  avs_audio_free(&probe);
  bench_opts o1 = o;
  o1.reps = 5, o1.warmup = 1;
  for (int r = 0; r < 2; r++) {
    track_case t = {clip, r ? 16000 : 11025, 0};
    double ms = bench_time(&o1, run_track, &t);
    cli_case cc;
    snprintf(cc.cmd, sizeof cc.cmd,
             "ffmpeg -nostdin -v error -threads 1 -filter_threads 1 -i '%s' -vn -ac 1 -ar %d -f f32le -y /dev/null",
             clip, t.rate);
    double cli = bench_time(&o1, run_cli, &cc);
    printf("audio track -> %d Hz mono: avs %.1f ms = %.0fx real time (goal >= 200x, %s); ffmpeg CLI %.1f ms = %.0fx\n",
           t.rate, ms, secs * 1e3 / ms, secs * 1e3 / ms >= 200 ? "met" : "MISSED", cli, secs * 1e3 / cli);
  }
  for (size_t k = 0; k < 2; k++) {
    avs_stft_free(&cases[k].s);
    free(cases[k].x), free(cases[k].y), free(cases[k].spec);
  }
  return 0;
}
