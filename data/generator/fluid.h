/* Rendering melodies with FluidSynth from a General MIDI soundfont (.sf2/.sf3).
 * The soundfont is loaded once (about 2 s for Debian's 140 MB FluidR3_GM);
 * avs_fluid_render may then be called from several threads at once. Reverb
 * and chorus are off, so stems are dry, and every render of the same melody
 * gives the same samples whatever was rendered before. */
#ifndef AVS_DATA_FLUID_H
#define AVS_DATA_FLUID_H

#include <stdint.h>

#include "data/generator/melody.h"

typedef struct avs_fluid avs_fluid;

/* Debian's fluid-soundfont-gm. */
#define AVS_DEFAULT_SOUNDFONT "/usr/share/sounds/sf2/FluidR3_GM.sf2"

int avs_fluid_new(avs_fluid **out, const char *soundfont, int sample_rate);
void avs_fluid_free(avs_fluid **f);
/* Renders m with GM program `program` into out[0..n) (mono), overwriting it. */
int avs_fluid_render(avs_fluid *f, int program, const avs_melody *m, float *out, int64_t n);

#endif
