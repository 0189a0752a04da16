/* Speech separation with a speech model (see speech_separate.h). */
#include "fusion/speech_separate.h"

#include <stdlib.h>
#include <string.h>

#include "av/status.h"
#include "fusion/speech.h"
#include "fusion/speech_data.h"

/* Chunk [a, b) in samples, video frames from v0: masks and voices. */
static int separate_chunk(avs_ctx *ctx, const avs_model *m, const avs_speech_geometry *g, avs_stft *stft,
                          const avs_speech_input *in, int64_t a, int64_t b, float **voices) {
  int S = g->speakers, M = g->mouth_size, Z = g->face_size, P = AVS_SPEECH_RATE / g->fps;
  int64_t L = b - a, T = avs_stft_frames(stft, L), V = (L + P - 1) / P, v0 = a / P;
  avs_tensor *spec = avs_ctx_tensor(ctx, 4, AVS_SHAPE(1, T, AVS_SPEECH_BINS, 2));
  avs_tensor *mouths = avs_ctx_tensor(ctx, 5, AVS_SHAPE(S, V, M, M, 1));
  avs_tensor *faces = avs_ctx_tensor(ctx, 4, AVS_SHAPE(S, Z, Z, 1));
  if (!spec || !mouths || !faces) return avs_errcode();
  int rc = avs_stft_forward(stft, in->mix + a, L, spec->data);
  for (int s = 0; !rc && s < S; s++) {
    for (int64_t v = 0; v < V; v++) {
      int64_t src = v0 + v < in->frames ? v0 + v : in->frames - 1;
      avs_speech_pixels(in->mouths + ((size_t)s * in->frames + src) * M * M, (int64_t)M * M,
                        mouths->data + ((size_t)s * V + v) * M * M);
    }
    avs_speech_pixels(in->faces + (size_t)s * Z * Z, (int64_t)Z * Z, faces->data + (size_t)s * Z * Z);
  }
  avs_tensor *masks = rc ? NULL : avs_speech_model_forward(ctx, m, spec, mouths, faces);
  avs_tensor *est = avs_speech_apply_masks(ctx, masks, spec);
  if (!rc && !est) rc = avs_errcode();
  for (int s = 0; !rc && s < S; s++)
    rc = avs_stft_inverse(stft, est->data + (size_t)s * T * AVS_SPEECH_BINS * 2, T, L, voices[s] + a);
  avs_ctx_reset(ctx);
  return rc;
}

int avs_speech_separate(const avs_model *m, const avs_speech_input *in, float **voices) {
  avs_speech_geometry g;
  avs_speech_model_geometry(m, &g);
  int P = AVS_SPEECH_RATE / g.fps;
  if (in->n <= 512) return avs_seterr(AVS_EINVAL, "the audio is too short to separate (%lld samples)", (long long)in->n);
  if (in->frames < 1) return avs_seterr(AVS_EINVAL, "no video frames");
  int64_t chunk = (int64_t)(in->chunk_frames > 0 ? in->chunk_frames : 10 * g.fps) * P;
  avs_stft *stft = NULL;
  avs_stft_cfg sc = avs_speech_stft_cfg();
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = false});
  int rc = ctx ? avs_stft_new(&sc, &stft) : avs_errcode();
  for (int64_t a = 0; !rc && a < in->n; a += chunk) {
    int64_t b = a + chunk < in->n ? a + chunk : in->n;
    if (in->n - b < chunk / 4) b = in->n; /* a short tail joins the last chunk */
    rc = separate_chunk(ctx, m, &g, stft, in, a, b, voices);
    if (b == in->n) break;
  }
  avs_stft_free(&stft);
  avs_ctx_free(&ctx);
  return rc;
}
