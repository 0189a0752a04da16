/* STFT / ISTFT against torch.stft / torch.istft (gen_stft.py): forward within
 * 1e-4 relative of the largest bin, inverse within 1e-4 relative; and the
 * round trip STFT -> ISTFT within 1e-5 of the signal. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio/stft.h"
#include "tests/harness.h"

static float max_abs(const float *x, int64_t n) {
  float m = 0;
  for (int64_t i = 0; i < n; i++) m = fabsf(x[i]) > m ? fabsf(x[i]) : m;
  return m;
}

static void transpose_ft(const float *in, int64_t F, int64_t T, float *out) { /* [F][T][2] -> [T][F][2] */
  for (int64_t f = 0; f < F; f++)
    for (int64_t t = 0; t < T; t++) {
      out[(t * F + f) * 2] = in[(f * T + t) * 2];
      out[(t * F + f) * 2 + 1] = in[(f * T + t) * 2 + 1];
    }
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  avs_st *st = tst_open(argv[1]);
  char cases[256];
  snprintf(cases, sizeof cases, "%s", tst_meta_str(st, "cases"));
  for (char *name = strtok(cases, ","); name; name = strtok(NULL, ",")) {
    avs_stft_cfg cfg = {.n_fft = (int)tst_meta_int(st, "%s.n_fft", name), .hop = (int)tst_meta_int(st, "%s.hop", name),
                        .win = (int)tst_meta_int(st, "%s.win", name),
                        .no_center = !tst_meta_int(st, "%s.center", name)};
    const bool inv_ok = tst_meta_int(st, "%s.inv_ok", name);
    const int64_t len = tst_meta_int(st, "%s.length", name);
    avs_tensor *x = tst_tensor(st, "%s.x", name), *X = tst_tensor(st, "%s.X", name);
    avs_tensor *Xm = tst_tensor(st, "%s.Xm", name);
    const int64_t F = X->shape[0], T = X->shape[1];
    char what[128];
    for (int tm = 0; tm < 2; tm++) {
      cfg.time_major = tm;
      avs_stft *s = NULL;
      if (!tst_true(avs_stft_new(&cfg, &s) == 0, "%s: plan (%s)", name, avs_errmsg())) continue;
      tst_true(avs_stft_bins(s) == F && avs_stft_frames(s, len) == T, "%s: %d bins x %lld frames (torch %lld x %lld)",
               name, avs_stft_bins(s), (long long)avs_stft_frames(s, len), (long long)F, (long long)T);
      float *spec = malloc(sizeof(float) * (size_t)(F * T * 2)), *want = malloc(sizeof(float) * (size_t)(F * T * 2));
      float *y = malloc(sizeof(float) * (size_t)len * 2);
      if (tm)
        transpose_ft(X->data, F, T, want);
      else
        memcpy(want, X->data, sizeof(float) * (size_t)(F * T * 2));
      int rc = avs_stft_forward(s, x->data, len, spec);
      tst_true(rc == 0, "%s: forward runs (%s)", name, avs_errmsg());
      snprintf(what, sizeof what, "%s%s stft vs torch", name, tm ? " time-major" : "");
      const float scale = max_abs(want, F * T * 2);
      tst_close(what, spec, want, F * T * 2, 1e-5f * scale, 1e-4f);
      if (inv_ok) {
        avs_tensor *yr = tst_tensor(st, "%s.y", name), *ym = tst_tensor(st, "%s.ym", name);
        avs_tensor *yd = tst_tensor(st, "%s.yd", name);
        rc = avs_stft_inverse(s, spec, T, len, y);
        tst_true(rc == 0, "%s: inverse runs (%s)", name, avs_errmsg());
        snprintf(what, sizeof what, "%s%s istft vs torch", name, tm ? " time-major" : "");
        tst_close(what, y, yr->data, len, 1e-5f * max_abs(yr->data, len), 1e-4f);
        snprintf(what, sizeof what, "%s%s round trip", name, tm ? " time-major" : "");
        tst_close(what, y, x->data, len, 1e-5f, 0);
        /* a masked spectrogram, explicit and default lengths */
        if (tm)
          transpose_ft(Xm->data, F, T, want);
        else
          memcpy(want, Xm->data, sizeof(float) * (size_t)(F * T * 2));
        rc = avs_stft_inverse(s, want, T, len, y);
        snprintf(what, sizeof what, "%s%s istft(masked) vs torch", name, tm ? " time-major" : "");
        if (tst_true(rc == 0, "%s: inverse of masked runs (%s)", name, avs_errmsg()))
          tst_close(what, y, ym->data, len, 1e-5f * max_abs(ym->data, len), 1e-4f);
        int64_t dl = avs_stft_length(s, T);
        tst_true(dl == yd->numel, "%s: default length %lld (torch %lld)", name, (long long)dl, (long long)yd->numel);
        if (dl == yd->numel && dl <= 2 * len) {
          rc = avs_stft_inverse(s, want, T, 0, y);
          snprintf(what, sizeof what, "%s%s istft(masked, default length)", name, tm ? " time-major" : "");
          if (tst_true(rc == 0, "%s: inverse default length runs (%s)", name, avs_errmsg()))
            tst_close(what, y, yd->data, dl, 1e-5f * max_abs(yd->data, dl), 1e-4f);
        }
        /* longer than the frames cover: the tail (where the envelope is tiny: 1e-3
         * relative), then zeros, as torch; or refused as torch does */
        int64_t longer = avs_stft_length(s, T) + cfg.n_fft;
        float *yl = malloc(sizeof(float) * (size_t)longer);
        rc = avs_stft_inverse(s, want, T, longer, yl);
        if (tst_meta_int(st, "%s.long_ok", name)) {
          avs_tensor *ylr = tst_tensor(st, "%s.yl", name);
          snprintf(what, sizeof what, "%s%s istft(masked, longer) vs torch", name, tm ? " time-major" : "");
          if (tst_true(rc == 0 && ylr->numel == longer, "%s: inverse longer runs (%s)", name, avs_errmsg()))
            tst_close(what, yl, ylr->data, ylr->numel, 1e-5f * max_abs(ylr->data, ylr->numel), 1e-3f);
          avs_tensor_free(&ylr);
        } else {
          tst_true(rc == AVS_EINVAL, "%s: longer inverse refused like torch: %s", name, avs_errmsg());
        }
        free(yl);
        avs_tensor_free(&yr), avs_tensor_free(&ym), avs_tensor_free(&yd);
      } else {
        rc = avs_stft_inverse(s, spec, T, len, y);
        tst_true(rc == AVS_EINVAL, "%s: inverse refused like torch (zero window envelope): %s", name, avs_errmsg());
      }
      free(spec), free(want), free(y);
      avs_stft_free(&s);
    }
    avs_tensor_free(&x), avs_tensor_free(&X), avs_tensor_free(&Xm);
  }
  avs_st_close(&st);

  /* Bad settings and inputs. */
  avs_stft *s = NULL;
  tst_true(avs_stft_new(&(avs_stft_cfg){.n_fft = 512, .win = 600}, &s) == AVS_EINVAL && !s,
           "win > n_fft refused: %s", avs_errmsg());
  tst_true(avs_stft_new(&(avs_stft_cfg){.n_fft = 512, .hop = -1}, &s) == AVS_EINVAL, "negative hop refused");
  avs_stft_new(&AVS_STFT_SOP, &s);
  float tiny[300] = {0}, out[512 * 4 * 2];
  tst_true(avs_stft_forward(s, tiny, 300, out) == AVS_EINVAL, "too short for reflection padding: %s", avs_errmsg());
  tst_true(avs_stft_bins(s) == 512, "Sound of Pixels preset: 512 bins");
  tst_true(avs_stft_frames(s, 65535) == 256, "Sound of Pixels preset: 65535 samples -> 256 frames");
  avs_stft_free(&s);
  avs_stft_new(&AVS_STFT_SPEECH, &s);
  tst_true(avs_stft_bins(s) == 257 && avs_stft_frames(s, 48000) == 301, "speech preset: 257 bins, 3 s -> 301 frames");
  avs_stft_free(&s);
  tst_true(s == NULL, "free sets the pointer to NULL");
  /* plans are made with FFTW_MEASURE once; the wisdom is kept on disk for the next process */
  const char *wp = avs_stft_wisdom_path();
  FILE *wf = *wp ? fopen(wp, "r") : NULL;
  char head[32] = "";
  if (wf) {
    if (!fgets(head, sizeof head, wf)) head[0] = 0;
    fclose(wf);
  }
  tst_true(strstr(head, "fftwf_wisdom") != NULL, "FFTW wisdom cached in %s", *wp ? wp : "(disabled)");
  return tst_finish();
}
