/* A time-frequency mask on a sound: audio file -> STFT -> mask -> ISTFT -> WAV.
 *   stft_mask IN OUT.wav [SOURCE]
 * With SOURCE, one of the sounds mixed in IN, the mask is SOURCE's ideal binary
 * mask (the oracle separation of SOURCE from IN); without, a low-pass at 1 kHz.
 *   cc stft_mask.c $(pkg-config --cflags --libs avs) -o stft_mask */
#include <avs.h>
#include <stdio.h>
#include <stdlib.h>

/* path -> mono *a, its spectrogram *spec ([bins][frames][2]) and magnitudes *mag. */
static int analyse(avs_stft *st, const char *path, avs_audio **a, float **spec, float **mag) {
  avs_audio *raw = NULL;
  int rc = avs_audio_read(path, &raw);
  if (rc == 0) rc = avs_audio_downmix(raw, a);
  avs_audio_free(&raw);
  if (rc < 0) return rc;
  int64_t n = avs_stft_bins(st) * avs_stft_frames(st, (*a)->frames);
  *spec = malloc(sizeof **spec * 2 * n), *mag = malloc(sizeof **mag * n);
  if (!*spec || !*mag) return avs_seterr(AVS_ENOMEM, "out of memory");
  if ((rc = avs_stft_forward(st, (*a)->data, (*a)->frames, *spec)) < 0) return rc;
  avs_stft_magphase(*spec, n, *mag, NULL);
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 3 && argc != 4) {
    fprintf(stderr, "usage: stft_mask IN OUT.wav [SOURCE]\n");
    return 2;
  }
  avs_stft *st = NULL;
  avs_audio *mix = NULL, *src = NULL, *out = NULL;
  float *spec = NULL, *mag = NULL, *src_spec = NULL, *src_mag = NULL, *mask = NULL;
  int rc = avs_stft_new(&AVS_STFT_SOP, &st); /* n_fft 1022, hop 256 */
  if (rc == 0) rc = analyse(st, argv[1], &mix, &spec, &mag);
  if (rc < 0) goto end;
  int bins = avs_stft_bins(st), n_fft = avs_stft_config(st)->n_fft;
  int64_t frames = avs_stft_frames(st, mix->frames), n = bins * frames;
  if (!(mask = malloc(sizeof *mask * n)) || !(out = avs_audio_new(mix->frames, 1, mix->rate))) goto end;
  if (argc == 4) {
    if ((rc = analyse(st, argv[3], &src, &src_spec, &src_mag)) < 0) goto end;
    if (src->frames != mix->frames) {
      rc = avs_seterr(AVS_ESHAPE, "%s and %s differ in length", argv[1], argv[3]);
      goto end;
    }
    avs_mask_binary(src_mag, mag, n, 0.5f, mask); /* 1 where SOURCE is over half the mixture */
  } else {
    for (int f = 0; f < bins; f++) /* bin f is at f * rate / n_fft Hz */
      for (int64_t t = 0; t < frames; t++) mask[f * frames + t] = f * (double)mix->rate / n_fft < 1000;
  }
  avs_mask_apply(mask, spec, n, spec); /* the mixture's phase is kept */
  if ((rc = avs_stft_inverse(st, spec, frames, mix->frames, out->data)) < 0) goto end;
  rc = avs_audio_write(argv[2], out, AVS_SAMPLE_FLOAT);
end:;
  int failed = rc < 0 || !out;
  if (failed) fprintf(stderr, "stft_mask: %s\n", avs_errmsg()[0] ? avs_errmsg() : "out of memory");
  free(spec), free(mag), free(src_spec), free(src_mag), free(mask);
  avs_audio_free(&mix), avs_audio_free(&src), avs_audio_free(&out);
  avs_stft_free(&st);
  return failed;
}
