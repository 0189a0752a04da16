/* Scoring a speech model on an avdata speech set (aveval sep -m on a speech
 * manifest, avtrain speech's validation): a clip's own mixture (its audio) is
 * separated with each speaker's own face track from the manifest, and every
 * speaker's voice is scored against its stem as separation is
 * (avs_sep_eval_score: BSS Eval v3, SI-SDR, the mixture's SDR). */
#ifndef AVS_FUSION_SPEECH_EVAL_H
#define AVS_FUSION_SPEECH_EVAL_H

#include "fusion/sep_eval.h"
#include "fusion/speech_data.h"

/* Clip c of s (exactly the model's S speakers, else AVS_EINVAL saying how
 * many it has): r->obj[i] is the set's voice index of speaker i. */
int avs_speech_eval_clip(const avs_model *m, const avs_speech_set *s, int c, avs_sep_eval_result *r);

#endif
