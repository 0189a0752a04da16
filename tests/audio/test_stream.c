/* Live audio for real, run by run_pulse.sh inside a private PulseAudio server
 * whose only sink is a null sink (avs_null, 16 kHz mono float): a known noise
 * burst is played into the sink and captured back through PortAudio from the
 * sink's monitor, then found by normalised cross-correlation.
 *   1. paplay plays a WAV file; our capture stream records the monitor.
 *   2. our own playback stream plays it; the same (duplex) stream records.
 *   3. a capture ring left unread overflows: overruns are counted.
 * PortAudio 19.6 on Debian has no PulseAudio host API: the ALSA "pulse" device
 * (libasound2-plugins) reaches the server. argv[1]: a scratch directory. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audio/audio_file.h"
#include "audio/stream.h"
#include "tests/harness.h"

#define RATE 16000
#define DEV "pulse"

static void sleep_s(double s) {
  struct timespec ts = {(time_t)s, (long)((s - (time_t)s) * 1e9)};
  nanosleep(&ts, NULL);
}

/* Best normalised correlation of sig (n) inside cap (m), and its lag. */
static double find(const float *cap, int64_t m, const float *sig, int64_t n, int64_t *lag) {
  double es = 0;
  for (int64_t i = 0; i < n; i++) es += (double)sig[i] * sig[i];
  double best = 0;
  *lag = -1;
  if (m < n) return 0;
  /* running energy of the capture window */
  double ew = 0;
  for (int64_t i = 0; i < n; i++) ew += (double)cap[i] * cap[i];
  for (int64_t l = 0; l + n <= m; l++) {
    if (l > 0) ew += (double)cap[l + n - 1] * cap[l + n - 1] - (double)cap[l - 1] * cap[l - 1];
    float d = 0;
#pragma omp simd reduction(+ : d)
    for (int64_t i = 0; i < n; i++) d += cap[l + i] * sig[i];
    double c = ew > 1e-12 ? d / sqrt(es * ew) : 0;
    if (c > best) best = c, *lag = l;
  }
  return best;
}

/* Waits (at most 5 s) until captured frames arrive, and drops them: the
 * server delivers after its latency. Returns the frames dropped. */
static int64_t wait_flowing(avs_stream *s, float *scratch, int64_t cap) {
  int64_t got = 0;
  for (int i = 0; i < 100 && got == 0; i++) {
    sleep_s(0.05);
    got = avs_stream_read(s, scratch, cap, 0);
  }
  sleep_s(0.1);
  if (got > 0) got += avs_stream_read(s, scratch, cap, 0);
  return got;
}

/* Reads until the signal is found whole in what was captured (correlation
 * > 0.95) and 0.2 s more arrived, or 8 s pass. Returns the frames captured. */
static int64_t capture_until_found(avs_stream *s, float *cap, int64_t cap_n, const float *sig, int64_t n) {
  int64_t got = 0, lag;
  for (int i = 0; i < 160 && got < cap_n; i++) {
    sleep_s(0.05);
    got += avs_stream_read(s, cap + got, cap_n - got, 0);
    if (got > n + RATE / 5 && find(cap, got - RATE / 5, sig, n, &lag) > 0.95) break;
  }
  return got;
}

/* Keeps what was captured beside the test's files, for a look after a failure. */
static void save(const char *work, const char *name, const float *x, int64_t n) {
  if (n <= 0) return;
  avs_audio *a = avs_audio_new(n, 1, RATE);
  memcpy(a->data, x, sizeof(float) * (size_t)n);
  char p[1024];
  snprintf(p, sizeof p, "%s/%s", work, name);
  avs_audio_write(p, a, AVS_SAMPLE_FLOAT);
  avs_audio_free(&a);
}

static double rms(const float *x, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; i++) s += (double)x[i] * x[i];
  return n ? sqrt(s / n) : 0;
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  const char *work = argv[1];
  char list[4096];
  if (avs_stream_list_devices(list, sizeof list) == 0) printf("PortAudio devices:\n%s", list);

  /* the known signal: 0.75 s of white noise, amplitude 0.4, played with 0.25 s
   * of silence on both sides (the file and our playback) */
  const int64_t n = RATE * 3 / 4, pad = RATE / 4;
  avs_audio *sig = avs_audio_new(n, 1, RATE), *padded = avs_audio_new(n + 2 * pad, 1, RATE);
  unsigned u = 12345;
  for (int64_t i = 0; i < n; i++) {
    u = u * 1664525u + 1013904223u;
    sig->data[i] = padded->data[pad + i] = 0.4f * ((float)((u >> 8) & 0xffff) / 32768.0f - 1.0f);
  }
  char wav[1024];
  snprintf(wav, sizeof wav, "%s/known.wav", work);
  tst_true(avs_audio_write(wav, padded, AVS_SAMPLE_FLOAT) == 0, "known signal written (%s)", avs_errmsg());
  const int64_t cap_n = RATE * 12;
  float *cap = malloc(sizeof(float) * (size_t)cap_n);
  int64_t lag;

  /* 1. paplay -> null sink -> monitor -> PortAudio capture */
  avs_stream *s = NULL;
  int rc = avs_stream_open(&(avs_stream_cfg){.device = DEV, .rate = RATE, .in_channels = 1, .ring_seconds = 8}, &s);
  if (!tst_true(rc == 0, "capture stream on '%s' (%s)", DEV, avs_errmsg())) return tst_finish();
  printf("capture device: %s\n", avs_stream_input_name(s));
  tst_true(avs_stream_start(s) == 0, "capture starts (%s)", avs_errmsg());
  int64_t warm = wait_flowing(s, cap, cap_n);
  tst_true(warm > 0, "capture delivers frames (%lld before playing)", (long long)warm);
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "paplay --device=avs_null '%s'", wav);
  int prc = system(cmd);
  tst_true(prc == 0, "paplay played %s", wav);
  int64_t got = capture_until_found(s, cap, cap_n, sig->data, n);
  save(work, "captured_paplay.wav", cap, got);
  avs_stream_stats st;
  avs_stream_get_stats(s, &st);
  tst_true(avs_stream_stop(s) == 0, "capture stops");
  double c = find(cap, got, sig->data, n, &lag);
  printf("captured %lld frames (%.2f s) after paplay, rms %.3f; %lld callbacks, %lld overruns\n", (long long)got,
         (double)got / RATE, rms(cap, got), (long long)st.callbacks, (long long)st.overruns);
  tst_true(got > n && st.captured >= got, "captured %lld frames (> the %lld played)", (long long)got, (long long)n);
  tst_true(c > 0.95, "paplay's signal found in the capture: correlation %.4f at %.3f s", c, (double)lag / RATE);
  if (lag >= 0) {
    double g = rms(cap + lag, n) / rms(sig->data, n);
    tst_true(fabs(g - 1) < 0.1, "captured at unity gain (%.3f)", g);
  }
  tst_true(st.overruns == 0, "no overruns with a large ring");
  avs_stream_free(&s);

  /* 2. our playback -> null sink -> monitor -> our capture, one duplex stream */
  /* 20 ms callbacks, 100 ms device latency: robust on a loaded machine */
  rc = avs_stream_open(&(avs_stream_cfg){.device = DEV, .rate = RATE, .in_channels = 1, .out_channels = 1,
                                         .ring_seconds = 8, .frames_per_buffer = RATE / 50, .latency = 0.1},
                       &s);
  if (tst_true(rc == 0, "duplex stream on '%s' (%s)", DEV, avs_errmsg())) {
    tst_true(avs_stream_start(s) == 0, "duplex starts");
    wait_flowing(s, cap, cap_n);
    int64_t w = avs_stream_write(s, padded->data, padded->frames, 2.0);
    tst_true(w == padded->frames, "queued %lld of %lld frames for playback", (long long)w, (long long)padded->frames);
    tst_true(avs_stream_drain(s, 5.0) == 0, "playback drained (%s)", avs_errmsg());
    got = capture_until_found(s, cap, cap_n, sig->data, n);
    save(work, "captured_duplex.wav", cap, got);
    avs_stream_get_stats(s, &st);
    avs_stream_stop(s);
    c = find(cap, got, sig->data, n, &lag);
    printf("duplex: played %lld, captured %lld frames; underruns %lld, output underflows %lld\n", (long long)st.played,
           (long long)st.captured, (long long)st.underruns, (long long)st.output_underflows);
    tst_true(st.played >= padded->frames, "the callback played all %lld frames", (long long)padded->frames);
    tst_true(c > 0.95, "our playback found in our capture: correlation %.4f at %.3f s", c, (double)lag / RATE);
    tst_true(st.underruns > 0, "silence after the signal is reported as underruns (%lld frames)",
             (long long)st.underruns);
    avs_stream_free(&s);
  }

  /* 3. overruns: a 0.1 s capture ring nobody reads for a second */
  rc = avs_stream_open(&(avs_stream_cfg){.device = DEV, .rate = RATE, .in_channels = 1, .ring_seconds = 0.1}, &s);
  if (tst_true(rc == 0, "small-ring capture (%s)", avs_errmsg())) {
    tst_true(avs_stream_start(s) == 0, "small-ring capture starts (%s)", avs_errmsg());
    for (int i = 0; i < 100; i++) { /* frames start flowing after the server's latency, then 1 s more */
      avs_stream_get_stats(s, &st);
      if (st.captured > 0) break;
      sleep_s(0.05);
    }
    sleep_s(1.0);
    avs_stream_get_stats(s, &st);
    tst_true(st.overruns > 0, "overruns reported: %lld frames dropped of %lld", (long long)st.overruns,
             (long long)(st.overruns + st.captured));
    avs_stream_free(&s);
  }

  /* bad settings */
  tst_true(avs_stream_open(&(avs_stream_cfg){.rate = 0, .in_channels = 1}, &s) == AVS_EINVAL && !s,
           "rate 0 refused: %s", avs_errmsg());
  tst_true(avs_stream_open(&(avs_stream_cfg){.rate = RATE}, &s) == AVS_EINVAL, "no channels refused: %s",
           avs_errmsg());
  tst_true(avs_stream_open(&(avs_stream_cfg){.device = "no-such-device", .rate = RATE, .in_channels = 1}, &s) ==
               AVS_ENOTFOUND,
           "unknown device: %s", avs_errmsg());
  free(cap);
  avs_audio_free(&sig);
  avs_audio_free(&padded);
  return tst_finish();
}
