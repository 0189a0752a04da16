/* Built without espeak-ng (AVS_WITH_ESPEAK off or libespeak-ng-dev missing):
 * the speech kind of the generator is unavailable, and says so. */
#include <stddef.h>

#include "av/status.h"
#include "data/generator/speech.h"

#define NO_ESPEAK                                                                                  \
  avs_seterr(AVS_EUNSUPPORTED, "AVS was built without espeak-ng: the speech kind is unavailable "   \
                               "(install libespeak-ng-dev and rebuild)")

int avs_tts_init(void) { return NO_ESPEAK; }

int avs_tts_check_voice(const char *voice) {
  (void)voice;
  return NO_ESPEAK;
}

int avs_tts_say(const avs_speaker *s, const char *text, int out_rate, float **audio, int64_t *n) {
  (void)s, (void)text, (void)out_rate;
  *audio = NULL;
  *n = 0;
  return NO_ESPEAK;
}
