/* avs_speech_separate (fusion/speech_separate.h) with a model whose masks are
 * known: every weight zero but the mask layer's bias, so speaker 0's mask is
 * 0.5 and speaker 1's is 1 (re; im 0) at every bin. The voices must then be
 * 0.5 x and x, sample for sample, over an input of three chunks whose short
 * tail joins the last (chunk edges, lengths, STFT/ISTFT alignment). Tolerance:
 * 1e-4 of the input's peak (the STFT/ISTFT round trip is ~1e-7 relative). */
#include <math.h>
#include <stdlib.h>

#include "fusion/avspeech.h"
#include "fusion/speech.h"
#include "fusion/speech_separate.h"
#include "tests/harness.h"

int main(void) {
  avs_avspeech_cfg cfg = avs_avspeech_default_cfg();
  cfg.audio_channels = 4, cfg.audio_layers = 1, cfg.audio_out = 2, cfg.visual_front = 4, cfg.visual_convs = 1;
  cfg.visual_dim = 4, cfg.face_width = 4, cfg.face_convs = 1, cfg.id_dim = 4, cfg.fusion_dim = 8;
  cfg.lstm_hidden = 4, cfg.fc_dim = 8, cfg.mouth_size = 16, cfg.face_size = 16;
  avs_model *m = NULL;
  if (!tst_true(avs_model_new("avspeech", &cfg, &m) == 0, "model: %s", avs_errmsg())) return tst_finish();
  avs_tensor *bias = avs_params_find(&m->params, "mask.bias");
  if (!tst_true(bias != NULL, "mask.bias")) return tst_finish();
  for (int s = 0; s < 2; s++)
    for (int f = 0; f < AVS_SPEECH_BINS; f++) bias->data[(s * AVS_SPEECH_BINS + f) * 2] = atanhf((s ? 1.0f : 0.5f) / 2);

  int64_t n = 3 * 16000 + 3300; /* chunks of 1 s: 0-1, 1-2, 2-3.2 s */
  int frames = 52;
  float *x = malloc(sizeof(float) * (size_t)n), *v0 = malloc(sizeof(float) * (size_t)n);
  float *v1 = malloc(sizeof(float) * (size_t)n), *voices[2] = {v0, v1};
  uint8_t *mouths = calloc((size_t)2 * frames * 16 * 16, 1), *faces = calloc(2 * 16 * 16, 1);
  avs_rng rng;
  avs_rng_seed(&rng, 3);
  for (int64_t t = 0; t < n; t++) x[t] = 0.3f * sinf(0.01f * (float)t) + 0.1f * avs_rng_normal(&rng);
  avs_speech_input in = {.mix = x, .n = n, .mouths = mouths, .faces = faces, .frames = frames, .chunk_frames = 16};
  if (tst_true(avs_speech_separate(m, &in, voices) == 0, "separate: %s", avs_errmsg())) {
    float *half = malloc(sizeof(float) * (size_t)n);
    for (int64_t t = 0; t < n; t++) half[t] = 0.5f * x[t];
    tst_close("speaker 0 = 0.5 x", v0, half, n, 1e-4f * 0.6f, 0);
    tst_close("speaker 1 = x", v1, x, n, 1e-4f * 0.6f, 0);
    free(half);
  }
  in.n = 400; /* shorter than the STFT's frame */
  tst_true(avs_speech_separate(m, &in, voices) != 0, "400 samples refused: %s", avs_errmsg());
  free(x), free(v0), free(v1), free(mouths), free(faces);
  avs_model_free(&m);
  return tst_finish();
}
