/* Scoring speech separation on a set (see speech_eval.h). */
#include "fusion/speech_eval.h"

#include <stdlib.h>
#include <string.h>

#include "av/status.h"
#include "fusion/speech_separate.h"

int avs_speech_eval_clip(const avs_model *m, const avs_speech_set *s, int c, avs_sep_eval_result *r) {
  memset(r, 0, sizeof *r);
  const avs_speech_geometry *g = &s->g;
  int S = g->speakers, M = g->mouth_size, Z = g->face_size;
  if (s->count[c] != S)
    return avs_seterr(AVS_EINVAL, "clip %s has %d speakers, the model separates %d", s->mf->clips[c].id, s->count[c], S);
  if (S > AVS_SEP_EVAL_MAX) return avs_seterr(AVS_EINVAL, "more than %d speakers", AVS_SEP_EVAL_MAX);
  int64_t L = s->samples;
  size_t per_track = (size_t)s->frames * M * M;
  uint8_t *mouths = malloc(per_track * S), *faces = malloc((size_t)Z * Z * S);
  float *voices[AVS_SEP_EVAL_MAX] = {0};
  const float *ref[AVS_SEP_EVAL_MAX];
  int rc = mouths && faces ? AVS_OK : avs_seterr(AVS_ENOMEM, "out of memory");
  for (int k = 0; !rc && k < S; k++) {
    const avs_speech_voice *v = &s->voice[s->first[c] + k];
    memcpy(mouths + per_track * k, v->mouths, per_track);
    memcpy(faces + (size_t)Z * Z * k, v->face, (size_t)Z * Z);
    ref[k] = v->wave;
    if (!(voices[k] = malloc(sizeof(float) * (size_t)L))) rc = avs_seterr(AVS_ENOMEM, "out of memory");
  }
  avs_speech_input in = {.mix = s->mix[c], .n = L, .mouths = mouths, .faces = faces, .frames = s->frames};
  if (!rc) rc = avs_speech_separate(m, &in, voices);
  if (!rc) rc = avs_sep_eval_score(ref, voices, s->mix[c], S, L, r);
  for (int k = 0; !rc && k < S; k++) r->obj[k] = s->first[c] + k;
  for (int k = 0; k < S; k++) free(voices[k]);
  free(mouths), free(faces);
  return rc;
}
