/* Audio files through libsndfile: WAV (float, 16-bit), FLAC, OGG/Vorbis,
 * AIFF at several rates and channel counts; down-mix; and the bad input every
 * reader must refuse with one clear message: missing file, not audio, zero
 * frames, sample rate 0 or absurd, NaN samples. Writers refuse before
 * creating anything. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audio/audio_file.h"
#include "tests/harness.h"

static bool exists(const char *p) { return access(p, F_OK) == 0; }

/* A float32 WAV written by hand, so headers can say what libsndfile's writer never would. */
static void raw_wav(const char *path, uint32_t rate, uint16_t channels, const float *x, uint32_t n) {
  FILE *f = fopen(path, "wb");
  uint32_t data = n * 4u * channels, riff = 36 + data, fmt_len = 16, byte_rate = rate * 4u * channels;
  uint16_t fmt = 3, block = (uint16_t)(4 * channels), bits = 32;
  fwrite("RIFF", 1, 4, f), fwrite(&riff, 4, 1, f), fwrite("WAVEfmt ", 1, 8, f), fwrite(&fmt_len, 4, 1, f);
  fwrite(&fmt, 2, 1, f), fwrite(&channels, 2, 1, f), fwrite(&rate, 4, 1, f), fwrite(&byte_rate, 4, 1, f);
  fwrite(&block, 2, 1, f), fwrite(&bits, 2, 1, f), fwrite("data", 1, 4, f), fwrite(&data, 4, 1, f);
  if (n) fwrite(x, 4, (size_t)n * channels, f);
  fclose(f);
}

static double snr_db(const float *ref, const float *x, int64_t n) {
  double s = 0, e = 0;
  for (int64_t i = 0; i < n; i++) s += (double)ref[i] * ref[i], e += ((double)x[i] - ref[i]) * ((double)x[i] - ref[i]);
  return e > 0 ? 10 * log10(s / e) : 999;
}

int main(void) {
  char dir[] = "/tmp/avs_audio_file_XXXXXX";
  if (!mkdtemp(dir)) return 1;
  char path[512];
  struct {
    const char *ext;
    avs_sample_format fmt;
    int rate, ch;
    double min_snr; /* dB; 0 = exact */
  } cases[] = {
      {"wav", AVS_SAMPLE_DEFAULT, 11025, 1, 0},   {"wav", AVS_SAMPLE_FLOAT, 16000, 2, 0},
      {"wav", AVS_SAMPLE_PCM16, 44100, 6, 70},    {"flac", AVS_SAMPLE_DEFAULT, 48000, 2, 110},
      {"flac", AVS_SAMPLE_PCM16, 8000, 1, 70},    {"ogg", AVS_SAMPLE_DEFAULT, 44100, 2, 15},
      {"aiff", AVS_SAMPLE_DEFAULT, 22050, 3, 0},
  };
  for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
    const int rate = cases[k].rate, ch = cases[k].ch;
    avs_audio *a = avs_audio_new(rate, ch, rate), *b = NULL; /* 1 s */
    for (int64_t i = 0; i < a->frames; i++)
      for (int c = 0; c < ch; c++)
        a->data[i * ch + c] = 0.5f * sinf(2.0f * (float)M_PI * (220.0f * (c + 1)) * (float)i / rate);
    snprintf(path, sizeof path, "%s/t%zu.%s", dir, k, cases[k].ext);
    int rc = avs_audio_write(path, a, cases[k].fmt);
    tst_true(rc == 0, "write %s, %d Hz, %d channels (%s)", path, rate, ch, avs_errmsg());
    rc = avs_audio_read(path, &b);
    if (tst_true(rc == 0, "read it back (%s)", avs_errmsg())) {
      tst_true(b->rate == rate && b->channels == ch, "rate %d, channels %d", b->rate, b->channels);
      int64_t n = b->frames < a->frames ? b->frames : a->frames;
      tst_true(cases[k].min_snr == 15 ? llabs(b->frames - a->frames) < 4096 : b->frames == a->frames,
               "%lld frames (wrote %lld)", (long long)b->frames, (long long)a->frames);
      if (cases[k].min_snr == 0)
        tst_close(path, b->data, a->data, n * ch, 0, 0);
      else {
        double snr = snr_db(a->data, b->data, n * ch);
        tst_true(snr >= cases[k].min_snr, "%s: SNR %.1f dB (>= %.0f)", path, snr, cases[k].min_snr);
      }
    }
    avs_audio_free(&a), avs_audio_free(&b);
    tst_true(a == NULL, "free sets NULL");
  }

  /* down-mix: the mean of the channels */
  avs_audio *st = avs_audio_new(4, 3, 16000), *m = NULL;
  for (int i = 0; i < 12; i++) st->data[i] = (float)i;
  tst_true(avs_audio_downmix(st, &m) == 0 && m->channels == 1 && m->frames == 4, "down-mix to mono");
  float want[4] = {1, 4, 7, 10};
  tst_close("down-mix is the mean", m->data, want, 4, 0, 0);
  avs_audio *sl = avs_audio_slice(st, 1, 2);
  tst_true(sl && sl->frames == 2 && sl->data[0] == 3.0f && sl->data[5] == 8.0f, "slice copies frames 1..2");
  avs_audio_free(&sl), avs_audio_free(&m);

  /* the same samples give the same bytes: no PEAK chunk, whose timestamp would differ run to run */
  snprintf(path, sizeof path, "%s/peak.wav", dir);
  avs_audio *one = avs_audio_new(256, 1, 16000);
  for (int i = 0; i < 256; i++) one->data[i] = 0.25f * sinf(0.1f * (float)i);
  tst_true(avs_audio_write(path, one, AVS_SAMPLE_FLOAT) == 0, "float WAV written (%s)", avs_errmsg());
  char bytes[4096] = {0};
  FILE *pf = fopen(path, "rb");
  size_t nb = pf ? fread(bytes, 1, sizeof bytes, pf) : 0;
  if (pf) fclose(pf);
  tst_true(nb > 1024 && !memmem(bytes, nb, "PEAK", 4), "float WAV without a timestamped PEAK chunk (%zu bytes)", nb);
  avs_audio_free(&one);

  /* bad input: one clear message naming the file, an error code, nothing returned */
  avs_audio *got = (avs_audio *)1;
  snprintf(path, sizeof path, "%s/missing.wav", dir);
  int rc = avs_audio_read(path, &got);
  tst_true(rc == AVS_ENOTFOUND && !got && strstr(avs_errmsg(), path), "missing file: %s", avs_errmsg());
  snprintf(path, sizeof path, "%s/notes.wav", dir);
  FILE *f = fopen(path, "w");
  fputs("this is not audio\n", f);
  fclose(f);
  rc = avs_audio_read(path, &got);
  tst_true(rc == AVS_EUNSUPPORTED && !got, "not audio: %s", avs_errmsg());
  float x[64];
  for (int i = 0; i < 64; i++) x[i] = 0.1f * (float)i / 64;
  snprintf(path, sizeof path, "%s/empty.wav", dir);
  raw_wav(path, 16000, 1, x, 0);
  rc = avs_audio_read(path, &got);
  tst_true(rc == AVS_EFORMAT && !got && strstr(avs_errmsg(), "no samples"), "zero-length: %s", avs_errmsg());
  snprintf(path, sizeof path, "%s/rate0.wav", dir);
  raw_wav(path, 0, 1, x, 64);
  rc = avs_audio_read(path, &got);
  tst_true(rc == AVS_EFORMAT && !got, "sample rate 0: %s", avs_errmsg());
  snprintf(path, sizeof path, "%s/rate_huge.wav", dir);
  raw_wav(path, 40000000u, 1, x, 64);
  rc = avs_audio_read(path, &got);
  tst_true(rc == AVS_EFORMAT && !got && strstr(avs_errmsg(), "outside"), "sample rate 40 MHz: %s", avs_errmsg());
  snprintf(path, sizeof path, "%s/rate_low.wav", dir);
  raw_wav(path, 10, 1, x, 64);
  rc = avs_audio_read(path, &got);
  tst_true(rc == AVS_EFORMAT && !got && strstr(avs_errmsg(), "outside"), "sample rate 10 Hz: %s", avs_errmsg());
  snprintf(path, sizeof path, "%s/nan.wav", dir);
  x[40] = NAN;
  raw_wav(path, 16000, 2, x, 32);
  rc = avs_audio_read(path, &got);
  tst_true(rc == AVS_EFORMAT && !got && strstr(avs_errmsg(), "NaN") && strstr(avs_errmsg(), "channel 1"),
           "NaN sample: %s", avs_errmsg());
  x[40] = INFINITY;
  raw_wav(path, 16000, 1, x, 64);
  rc = avs_audio_read(path, &got);
  tst_true(rc == AVS_EFORMAT && !got && strstr(avs_errmsg(), "infinite"), "infinite sample: %s", avs_errmsg());

  /* writers refuse before creating anything */
  avs_audio *w = avs_audio_new(100, 1, 16000);
  w->data[50] = NAN;
  snprintf(path, sizeof path, "%s/out_nan.wav", dir);
  rc = avs_audio_write(path, w, AVS_SAMPLE_DEFAULT);
  tst_true(rc == AVS_EFORMAT && !exists(path), "NaN not written: %s", avs_errmsg());
  w->data[50] = 0;
  w->rate = 0;
  rc = avs_audio_write(path, w, AVS_SAMPLE_DEFAULT);
  tst_true(rc == AVS_EFORMAT && !exists(path), "rate 0 not written: %s", avs_errmsg());
  w->rate = 16000;
  snprintf(path, sizeof path, "%s/out.xyz", dir);
  rc = avs_audio_write(path, w, AVS_SAMPLE_DEFAULT);
  tst_true(rc == AVS_EUNSUPPORTED && !exists(path), "unknown extension: %s", avs_errmsg());
  snprintf(path, sizeof path, "%s/out.flac", dir);
  rc = avs_audio_write(path, w, AVS_SAMPLE_FLOAT);
  tst_true(rc == AVS_EUNSUPPORTED && !exists(path), "float FLAC: %s", avs_errmsg());
  w->frames = 0;
  snprintf(path, sizeof path, "%s/out0.wav", dir);
  rc = avs_audio_write(path, w, AVS_SAMPLE_DEFAULT);
  tst_true(rc == AVS_EFORMAT && !exists(path), "zero frames not written: %s", avs_errmsg());
  snprintf(path, sizeof path, "%s/no/such/dir/out.wav", dir);
  w->frames = 100;
  rc = avs_audio_write(path, w, AVS_SAMPLE_DEFAULT);
  tst_true(rc == AVS_EIO, "unwritable path: %s", avs_errmsg());
  avs_audio_free(&w);
  avs_audio_free(&st);
  tst_true(avs_audio_new(-1, 1, 16000) == NULL && avs_audio_new(10, 0, 16000) == NULL, "bad buffer sizes refused");

  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd)) return 1;
  return tst_finish();
}
