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

  /* the known signal: 0.75 s of white noise, amplitude 0.4 */
  const int64_t n = RATE * 3 / 4;
  avs_audio *sig = avs_audio_new(n, 1, RATE);
  unsigned u = 12345;
  for (int64_t i = 0; i < n; i++) {
    u = u * 1664525u + 1013904223u;
    sig->data[i] = 0.4f * ((float)((u >> 8) & 0xffff) / 32768.0f - 1.0f);
  }
  char wav[1024];
  snprintf(wav, sizeof wav, "%s/known.wav", work);
  tst_true(avs_audio_write(wav, sig, AVS_SAMPLE_FLOAT) == 0, "known signal written (%s)", avs_errmsg());
  const int64_t cap_n = RATE * 6;
  float *cap = malloc(sizeof(float) * (size_t)cap_n);
  int64_t lag;

  /* 1. paplay -> null sink -> monitor -> PortAudio capture */
  avs_stream *s = NULL;
  int rc = avs_stream_open(&(avs_stream_cfg){.device = DEV, .rate = RATE, .in_channels = 1, .ring_seconds = 8}, &s);
  if (!tst_true(rc == 0, "capture stream on '%s' (%s)", DEV, avs_errmsg())) return tst_finish();
  printf("capture device: %s\n", avs_stream_input_name(s));
  tst_true(avs_stream_start(s) == 0, "capture starts (%s)", avs_errmsg());
  sleep_s(0.3);
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "paplay --device=avs_null '%s'", wav);
  int prc = system(cmd);
  tst_true(prc == 0, "paplay played %s", wav);
  sleep_s(0.5);
  int64_t got = avs_stream_read(s, cap, cap_n, 0);
  avs_stream_stats st;
  avs_stream_get_stats(s, &st);
  tst_true(avs_stream_stop(s) == 0, "capture stops");
  double c = find(cap, got, sig->data, n, &lag);
  printf("captured %lld frames (%.2f s), rms %.3f; %lld callbacks, %lld overruns\n", (long long)got,
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
  rc = avs_stream_open(&(avs_stream_cfg){.device = DEV, .rate = RATE, .in_channels = 1, .out_channels = 1,
                                         .ring_seconds = 8},
                       &s);
  if (tst_true(rc == 0, "duplex stream on '%s' (%s)", DEV, avs_errmsg())) {
    tst_true(avs_stream_start(s) == 0, "duplex starts");
    sleep_s(0.2);
    int64_t w = avs_stream_write(s, sig->data, n, 2.0);
    tst_true(w == n, "queued %lld of %lld frames for playback", (long long)w, (long long)n);
    tst_true(avs_stream_drain(s, 5.0) == 0, "playback drained (%s)", avs_errmsg());
    sleep_s(0.8);
    got = avs_stream_read(s, cap, cap_n, 0);
    avs_stream_get_stats(s, &st);
    avs_stream_stop(s);
    c = find(cap, got, sig->data, n, &lag);
    printf("duplex: played %lld, captured %lld frames; underruns %lld, output underflows %lld\n", (long long)st.played,
           (long long)st.captured, (long long)st.underruns, (long long)st.output_underflows);
    tst_true(st.played >= n, "the callback played all %lld frames", (long long)n);
    tst_true(c > 0.95, "our playback found in our capture: correlation %.4f at %.3f s", c, (double)lag / RATE);
    tst_true(st.underruns > 0, "silence after the signal is reported as underruns (%lld frames)",
             (long long)st.underruns);
    avs_stream_free(&s);
  }

  /* 3. overruns: a 0.1 s capture ring nobody reads for a second */
  rc = avs_stream_open(&(avs_stream_cfg){.device = DEV, .rate = RATE, .in_channels = 1, .ring_seconds = 0.1}, &s);
  if (tst_true(rc == 0, "small-ring capture (%s)", avs_errmsg())) {
    avs_stream_start(s);
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
  return tst_finish();
}
