/* Audio tracks of videos (gen_media.py made them with the ffmpeg CLI):
 * decoded and resampled to 16000 and 11025 Hz mono, compared with the known
 * signal evaluated at the output rate; streaming reads equal the whole load;
 * start/duration; 5.1 down-mix; and the bad input: no audio stream, missing,
 * not media, truncated, zero-length, NaN, sample rate 0 or absurd. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio/audio_track.h"
#include "tests/harness.h"

static const char *dir;

static const char *media(const char *name) {
  static char p[1024];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  return p;
}

/* The source at time t: left 0.4 sin(440), right 0.3 sin(1000). */
static double src(double t, int ch) {
  return ch == 0 ? 0.4 * sin(2 * M_PI * 440 * t) : 0.3 * sin(2 * M_PI * 1000 * t);
}

/* SNR (dB) of x against the known mono signal from time t0, best over lags
 * |lag| <= maxlag, ignoring `edge` seconds at both ends. */
static double snr_vs_known(const avs_audio *a, double t0, double edge, int maxlag, int *best_lag) {
  const int r = a->rate;
  int64_t i0 = (int64_t)(edge * r) + maxlag, i1 = a->frames - (int64_t)(edge * r) - maxlag;
  double best = -1e9;
  for (int lag = -maxlag; lag <= maxlag; lag++) {
    double s = 0, e = 0;
    for (int64_t i = i0; i < i1; i++) {
      double t = t0 + (double)(i + lag) / r;
      double want = a->channels == 1 ? 0.5 * (src(t, 0) + src(t, 1)) : src(t, 0);
      double got = a->data[i * a->channels];
      s += want * want, e += (got - want) * (got - want);
    }
    double snr = 10 * log10(s / (e > 0 ? e : 1e-30));
    if (snr > best) best = snr, *best_lag = lag;
  }
  return best;
}

static void expect_fail(const char *name, int want_code, const char *needle) {
  avs_audio *a = (avs_audio *)1;
  int rc = avs_track_load(media(name), &(avs_track_opts){.rate = 16000, .channels = 1}, &a);
  tst_true(rc == want_code && a == NULL && strstr(avs_errmsg(), needle) != NULL, "%s refused (%d): %s", name, rc,
           avs_errmsg());
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  dir = argv[1];
  struct {
    const char *name;
    double min_snr;
  } clips[] = {{"clip.avi", 60}, {"clip.mkv", 60}, {"clip.mov", 60}, {"clip.mp4", 25}, {"clip.webm", 20}};
  const int rates[] = {16000, 11025};
  for (size_t k = 0; k < sizeof clips / sizeof *clips; k++)
    for (int ri = 0; ri < 2; ri++) {
      const int rate = rates[ri];
      avs_audio *a = NULL;
      int rc = avs_track_load(media(clips[k].name), &(avs_track_opts){.rate = rate, .channels = 1}, &a);
      if (!tst_true(rc == 0, "%s -> %d Hz mono (%s)", clips[k].name, rate, avs_errmsg())) continue;
      int lag = 0;
      double snr = snr_vs_known(a, 0, 0.1, clips[k].min_snr >= 60 ? 0 : 64, &lag);
      tst_true(a->channels == 1 && a->rate == rate && llabs(a->frames - 3 * rate) <= rate / 20,
               "%s: %lld frames at %d Hz (3 s = %d)", clips[k].name, (long long)a->frames, a->rate, 3 * rate);
      tst_true(snr >= clips[k].min_snr, "%s at %d Hz: SNR %.1f dB at lag %d (>= %.0f)", clips[k].name, rate, snr, lag,
               clips[k].min_snr);
      avs_audio_free(&a);
    }

  /* the source's rate and channels */
  avs_audio *a = NULL, *b = NULL;
  int rc = avs_track_load(media("clip.mkv"), NULL, &a);
  tst_true(rc == 0 && a->rate == 44100 && a->channels == 2 && a->frames == 3 * 44100,
           "clip.mkv as stored: %d Hz, %d channels, %lld frames", a ? a->rate : 0, a ? a->channels : 0,
           a ? (long long)a->frames : 0);
  if (a) {
    int lag;
    double snr = snr_vs_known(a, 0, 0, 0, &lag);
    tst_true(snr > 80, "FLAC in mkv is lossless: SNR %.1f dB", snr);
  }
  avs_audio_free(&a);

  /* streaming reads in odd-sized chunks equal the whole load */
  avs_track_opts o16 = {.rate = 16000, .channels = 1};
  rc = avs_track_load(media("clip.mp4"), &o16, &a);
  avs_track *t = NULL;
  rc |= avs_track_open(media("clip.mp4"), &o16, &t);
  if (tst_true(rc == 0, "open for streaming (%s)", avs_errmsg())) {
    tst_true(avs_track_rate(t) == 16000 && avs_track_channels(t) == 1 && avs_track_source_rate(t) == 44100 &&
                 avs_track_source_channels(t) == 2,
             "track: 44100 Hz stereo source -> 16000 Hz mono");
    int64_t hint = avs_track_frames_hint(t);
    tst_true(llabs(hint - a->frames) < 1600, "frames hint %lld (got %lld)", (long long)hint, (long long)a->frames);
    float *buf = malloc(sizeof(float) * (size_t)(a->frames + 4096));
    int64_t n = 0, got;
    while ((got = avs_track_read(t, buf + n, 777)) > 0) n += got;
    tst_true(got == 0 && n == a->frames, "streamed %lld frames in chunks of 777 (whole: %lld)", (long long)n,
             (long long)a->frames);
    if (n == a->frames) tst_close("streamed = whole", buf, a->data, n, 0, 0);
    tst_true(avs_track_read(t, buf, 10) == 0, "reading past the end returns 0");
    free(buf);
  }
  avs_track_free(&t);
  tst_true(t == NULL, "free sets NULL");
  avs_audio_free(&a);

  /* start / duration: lossless clip, sample-accurate */
  rc = avs_track_load(media("clip.avi"), &(avs_track_opts){.rate = 16000, .channels = 1, .start = 1.25, .duration = 0.5},
                      &a);
  if (tst_true(rc == 0, "clip.avi from 1.25 s for 0.5 s (%s)", avs_errmsg())) {
    int lag;
    double snr = snr_vs_known(a, 1.25, 0, 3, &lag);
    tst_true(a->frames == 8000, "%lld frames (0.5 s at 16 kHz = 8000)", (long long)a->frames);
    tst_true(snr > 50 && lag == 0, "content starts at 1.25 s: SNR %.1f dB, lag %d", snr, lag);
  }
  avs_audio_free(&a);
  rc = avs_track_load(media("clip.mp4"), &(avs_track_opts){.rate = 11025, .channels = 1, .start = 2.0}, &a);
  if (tst_true(rc == 0, "clip.mp4 from 2 s (%s)", avs_errmsg())) {
    int lag;
    double snr = snr_vs_known(a, 2.0, 0.05, 64, &lag);
    tst_true(llabs(a->frames - 11025) < 600, "%lld frames (~1 s)", (long long)a->frames);
    tst_true(snr > 20 && abs(lag) <= 2, "content starts at 2 s: SNR %.1f dB, lag %d", snr, lag);
  }
  avs_audio_free(&a);

  /* starts past AVS_TRACK_SEEK_MIN seek: compare with the same span of a whole decode */
  struct {
    const char *name;
    double max_err; /* vs the whole decode's samples */
    int max_lag;    /* samples at 16 kHz the start may be off (container timestamp resolution) */
    bool exact;
  } longs[] = {{"long.mov", 0, 0, false}, {"long.mp4", 0, 0, false}, {"long.mkv", 3e-2, 8, false},
               {"long.mkv", 0, 0, true}};
  for (size_t k = 0; k < sizeof longs / sizeof *longs; k++) {
    avs_audio *whole = NULL, *part = NULL;
    const double start = 25.3;
    rc = avs_track_load(media(longs[k].name), &o16, &whole);
    rc |= avs_track_load(media(longs[k].name), &(avs_track_opts){.rate = 16000, .channels = 1, .start = start,
                                                                 .duration = 1.0, .exact = longs[k].exact},
                         &part);
    if (!tst_true(rc == 0, "%s from %.1f s%s (%s)", longs[k].name, start, longs[k].exact ? ", exact" : "",
                  avs_errmsg()))
      continue;
    tst_true(part->frames == 16000, "%s: %lld frames (1 s)", longs[k].name, (long long)part->frames);
    int best_lag = 0;
    double best = 1e9;
    const int64_t i0 = (int64_t)llround(start * 16000);
    for (int lag = -longs[k].max_lag - 2; lag <= longs[k].max_lag + 2; lag++) {
      double m = 0;
      for (int64_t i = 0; i < part->frames; i++) {
        double d = fabs(part->data[i] - whole->data[i0 + lag + i]);
        m = d > m ? d : m;
      }
      if (m < best) best = m, best_lag = lag;
    }
    tst_true(best <= longs[k].max_err && abs(best_lag) <= longs[k].max_lag,
             "%s%s: samples = the whole decode's at lag %d, max diff %.2e (allowed: lag %d, diff %.0e)",
             longs[k].name, longs[k].exact ? " exact" : "", best_lag, best, longs[k].max_lag, longs[k].max_err);
    avs_audio_free(&whole), avs_audio_free(&part);
  }

  /* 5.1 down-mix: the mean of the six channels, 0.35 sin(2 pi 300 t) */
  rc = avs_track_load(media("six.mkv"), &(avs_track_opts){.rate = 16000, .channels = 1}, &a);
  if (tst_true(rc == 0 && a->channels == 1, "six.mkv (5.1) -> mono (%s)", avs_errmsg())) {
    double e = 0, s = 0;
    for (int64_t i = 1600; i < a->frames - 1600; i++) {
      double want = 0.35 * sin(2 * M_PI * 300 * (double)i / 16000);
      e += (a->data[i] - want) * (a->data[i] - want), s += want * want;
    }
    tst_true(10 * log10(s / e) > 60, "down-mix is the channel mean: SNR %.1f dB", 10 * log10(s / e));
  }
  avs_audio_free(&a);
  rc = avs_track_load(media("six.mkv"), &(avs_track_opts){.channels = 0}, &a);
  tst_true(rc == 0 && a->channels == 6, "six.mkv kept as 6 channels");
  avs_audio_free(&a);

  /* resampling a buffer */
  avs_audio *src44 = avs_audio_new(44100, 1, 44100);
  for (int i = 0; i < 44100; i++) src44->data[i] = (float)(0.5 * sin(2 * M_PI * 440 * i / 44100.0));
  rc = avs_audio_resample(src44, 11025, &b);
  if (tst_true(rc == 0 && b->rate == 11025 && llabs(b->frames - 11025) <= 2, "resample 44100 -> 11025: %lld frames",
               b ? (long long)b->frames : 0)) {
    double e = 0, s = 0;
    for (int64_t i = 500; i < b->frames - 500; i++) {
      double want = 0.5 * sin(2 * M_PI * 440 * i / 11025.0);
      e += (b->data[i] - want) * (b->data[i] - want), s += want * want;
    }
    tst_true(10 * log10(s / e) > 60, "resampled sine: SNR %.1f dB", 10 * log10(s / e));
  }
  avs_audio_free(&b);
  avs_audio_free(&src44);

  /* bad input */
  expect_fail("noaudio.mp4", AVS_ENOTFOUND, "no audio stream");
  expect_fail("missing.mp4", AVS_ENOTFOUND, "missing.mp4");
  expect_fail("garbage.mp4", AVS_EFORMAT, "garbage.mp4");
  avs_audio *tr = NULL;
  rc = avs_track_load(media("truncated.mp4"), &o16, &tr);
  tst_true(rc < 0 && !tr && strstr(avs_errmsg(), "truncated.mp4"), "truncated.mp4 refused: %s", avs_errmsg());
  expect_fail("empty.wav", AVS_EFORMAT, "no samples");
  expect_fail("nan.wav", AVS_EFORMAT, "NaN");
  rc = avs_track_load(media("rate0.wav"), &o16, &tr);
  tst_true(rc < 0 && !tr && strstr(avs_errmsg(), "rate0.wav"), "rate0.wav refused: %s", avs_errmsg());
  expect_fail("rate_huge.wav", AVS_EFORMAT, "outside");
  rc = avs_track_load(media("clip.mkv"), &(avs_track_opts){.rate = 5}, &tr);
  tst_true(rc == AVS_EINVAL && !tr, "output rate 5 Hz refused: %s", avs_errmsg());
  rc = avs_track_load(media("clip.mkv"), &(avs_track_opts){.rate = 16000, .start = 10}, &tr);
  tst_true(rc == AVS_EFORMAT && !tr, "start past the end: %s", avs_errmsg());
  rc = avs_track_load(media("clip.mkv"), &(avs_track_opts){.stream = AVS_TRACK_STREAM(0)}, &tr);
  tst_true(rc == AVS_ENOTFOUND && !tr, "stream 0 is video: %s", avs_errmsg());
  return tst_finish();
}
