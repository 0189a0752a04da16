/* Log-frequency warp / unwarp against F.grid_sample on Sound of Pixels'
 * warpgrid (both align_corners), and the mel filterbank against torchaudio's
 * melscale_fbanks re-implemented in gen_logfreq.py (torchaudio is not in
 * Debian 12). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio/logfreq.h"
#include "audio/mel.h"
#include "tests/harness.h"

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  avs_st *st = tst_open(argv[1]);
  char cases[512], what[128];
  snprintf(cases, sizeof cases, "%s", tst_meta_str(st, "warp_cases"));
  for (char *name = strtok(cases, ","); name; name = strtok(NULL, ",")) {
    avs_logfreq_shape sh = {.n = tst_meta_int(st, "%s.n", name), .in_bins = (int)tst_meta_int(st, "%s.fin", name),
                            .frames = tst_meta_int(st, "%s.t", name), .channels = (int)tst_meta_int(st, "%s.c", name),
                            .out_bins = (int)tst_meta_int(st, "%s.fout", name),
                            .align_corners = tst_meta_int(st, "%s.align", name)};
    avs_tensor *in = tst_tensor(st, "%s.in", name), *w = tst_tensor(st, "%s.warp", name);
    avs_tensor *u = tst_tensor(st, "%s.unwarp", name);
    float *got = malloc(sizeof(float) * (size_t)w->numel), *back = malloc(sizeof(float) * (size_t)u->numel);
    tst_true(avs_logfreq_warp(&sh, in->data, got) == 0, "%s: warp runs", name);
    snprintf(what, sizeof what, "%s warp vs grid_sample", name);
    tst_close(what, got, w->data, w->numel, 1e-5f, 1e-4f);
    avs_logfreq_shape ush = sh;
    ush.in_bins = sh.out_bins, ush.out_bins = sh.in_bins;
    tst_true(avs_logfreq_unwarp(&ush, w->data, back) == 0, "%s: unwarp runs", name);
    snprintf(what, sizeof what, "%s unwarp vs grid_sample", name);
    tst_close(what, back, u->data, u->numel, 1e-5f, 1e-4f);
    free(got), free(back);
    avs_tensor_free(&in), avs_tensor_free(&w), avs_tensor_free(&u);
  }
  avs_logfreq_shape bad = {.n = 1, .in_bins = 0, .frames = 3, .channels = 1, .out_bins = 4};
  float dummy[16];
  tst_true(avs_logfreq_warp(&bad, dummy, dummy) == AVS_EINVAL, "zero bins refused: %s", avs_errmsg());

  snprintf(cases, sizeof cases, "%s", tst_meta_str(st, "mel_cases"));
  for (char *name = strtok(cases, ","); name; name = strtok(NULL, ",")) {
    int nf = (int)tst_meta_int(st, "%s.n_freqs", name), nm = (int)tst_meta_int(st, "%s.n_mels", name);
    avs_tensor *fb = tst_tensor(st, "%s.fb", name), *spec = tst_tensor(st, "%s.spec", name);
    avs_tensor *mel = tst_tensor(st, "%s.mel", name);
    float *got = malloc(sizeof(float) * (size_t)fb->numel), *gm = malloc(sizeof(float) * (size_t)mel->numel);
    int rc = avs_mel_fbanks(nf, tst_meta_float(st, "%s.f_min", name), tst_meta_float(st, "%s.f_max", name), nm,
                            (int)tst_meta_int(st, "%s.sr", name),
                            tst_meta_int(st, "%s.norm", name) ? AVS_MEL_NORM_SLANEY : AVS_MEL_NORM_NONE,
                            tst_meta_int(st, "%s.scale", name) ? AVS_MEL_SLANEY : AVS_MEL_HTK, got);
    tst_true(rc == 0, "%s: mel filterbank (%s)", name, avs_errmsg());
    float peak = 0;
    for (int64_t i = 0; i < fb->numel; i++) peak = fb->data[i] > peak ? fb->data[i] : peak;
    snprintf(what, sizeof what, "%s mel fbanks vs torchaudio", name);
    tst_close(what, got, fb->data, fb->numel, 1e-5f * peak, 1e-4f);
    const int64_t T = spec->shape[1];
    avs_mel_apply(got, nf, nm, spec->data, T, gm);
    float mp = 0;
    for (int64_t i = 0; i < mel->numel; i++) mp = mel->data[i] > mp ? mel->data[i] : mp;
    snprintf(what, sizeof what, "%s MelScale vs torch", name);
    tst_close(what, gm, mel->data, mel->numel, 1e-5f * mp, 1e-4f);
    free(got), free(gm);
    avs_tensor_free(&fb), avs_tensor_free(&spec), avs_tensor_free(&mel);
  }
  float fb1[10];
  tst_true(avs_mel_fbanks(5, 100, 50, 2, 16000, AVS_MEL_NORM_NONE, AVS_MEL_HTK, fb1) == AVS_EINVAL,
           "f_min > f_max refused: %s", avs_errmsg());
  tst_true(fabs(avs_mel_to_hz(avs_mel_from_hz(3000, AVS_MEL_SLANEY), AVS_MEL_SLANEY) - 3000) < 1e-9 &&
               fabs(avs_mel_to_hz(avs_mel_from_hz(440, AVS_MEL_HTK), AVS_MEL_HTK) - 440) < 1e-9,
           "mel <-> Hz round trips");
  avs_st_close(&st);
  return tst_finish();
}
