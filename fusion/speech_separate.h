/* Separating speech with a speech model (fusion/speech.h): a 16 kHz mixture
 * and, for each of the model's S speakers, a grayscale mouth crop per video
 * frame (avs_speech_mouth_box on its face box) and one face crop give each
 * speaker's voice, time-aligned with the mixture and as long. Long inputs go
 * through in chunks of whole video frames (the BiLSTM sees one chunk at a
 * time), which bounds the memory. Used by avsep speech, aveval sep and
 * avtrain speech's validation. */
#ifndef AVS_FUSION_SPEECH_SEPARATE_H
#define AVS_FUSION_SPEECH_SEPARATE_H

#include <stdint.h>

#include "nn/model.h"

typedef struct {
  const float *mix;       /* n samples at 16 kHz */
  int64_t n;
  const uint8_t *mouths;  /* S x frames x M x M bytes (speaker-major) */
  const uint8_t *faces;   /* S x Z x Z bytes */
  int frames;             /* video frames at the model's fps */
  int chunk_frames;       /* video frames per chunk; 0: 10 s */
} avs_speech_input;

/* voices[s] (n samples each, allocated by the caller) for s < S. */
int avs_speech_separate(const avs_model *m, const avs_speech_input *in, float **voices);

#endif
