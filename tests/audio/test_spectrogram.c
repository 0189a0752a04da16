/* The localizers' spectrogram (audio/spectrogram.h) against
 * scipy.signal.spectrogram (gen_spectrogram.py, float64 there): within 1e-4
 * relative + 1e-4 of the largest value (single-precision FFT here), and its
 * refusals. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio/spectrogram.h"
#include "tests/harness.h"

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  avs_st *st = tst_open(argv[1]);
  char cases[256], what[128];
  snprintf(cases, sizeof cases, "%s", tst_meta_str(st, "cases"));
  for (char *name = strtok(cases, ","); name; name = strtok(NULL, ",")) {
    avs_tensor *x = tst_tensor(st, "%s.x", name), *want = tst_tensor(st, "%s.psd", name);
    avs_psd *s = NULL;
    tst_true(avs_psd_new((int)tst_meta_int(st, "%s.nperseg", name), (int)tst_meta_int(st, "%s.hop", name),
                         tst_meta_float(st, "%s.fs", name), &s) == 0, "%s: made", name);
    int64_t segs = avs_psd_segments(s, x->numel);
    tst_true(avs_psd_bins(s) == want->shape[0] && segs == want->shape[1], "%s: %d bins x %lld segments as scipy",
             name, avs_psd_bins(s), (long long)segs);
    float *got = calloc((size_t)want->numel, sizeof(float)), peak = 0;
    const float *wd = want->data;
    for (int64_t i = 0; i < want->numel; i++) peak = wd[i] > peak ? wd[i] : peak;
    tst_true(avs_psd_forward(s, x->data, x->numel, got) == 0, "%s: runs", name);
    snprintf(what, sizeof what, "%s vs scipy.signal.spectrogram", name);
    tst_close(what, got, want->data, want->numel, 1e-4f * peak, 1e-4f);
    tst_true(avs_psd_forward(s, x->data, 10, got) != 0, "%s: fewer samples than a segment refused", name);
    free(got);
    avs_psd_free(&s);
    avs_tensor_free(&x), avs_tensor_free(&want);
  }
  avs_psd *bad = NULL;
  avs_st_close(&st);
  tst_true(avs_psd_new(511, 10, 16000, &bad) != 0 && !bad, "odd nperseg refused");
  tst_true(avs_psd_new(512, 0, 16000, &bad) != 0 && !bad, "zero hop refused");
  tst_true(avs_psd_new(512, 238, 0, &bad) != 0 && !bad, "zero rate refused");
  return tst_finish();
}
