/* Built without FluidSynth (AVS_WITH_FLUIDSYNTH off or libfluidsynth-dev
 * missing): the music kind of the generator is unavailable, and says so. */
#include <stddef.h>

#include "av/status.h"
#include "data/generator/fluid.h"

int avs_fluid_new(avs_fluid **out, const char *soundfont, int sample_rate) {
  (void)soundfont, (void)sample_rate;
  *out = NULL;
  return avs_seterr(AVS_EUNSUPPORTED, "AVS was built without FluidSynth: the music kind is unavailable "
                                      "(install libfluidsynth-dev and rebuild)");
}

void avs_fluid_free(avs_fluid **f) { *f = NULL; }

int avs_fluid_render(avs_fluid *f, int program, const avs_melody *m, float *out, int64_t n) {
  (void)f, (void)program, (void)m, (void)out, (void)n;
  return avs_seterr(AVS_EUNSUPPORTED, "AVS was built without FluidSynth");
}
