/* avtrain: trains AVS models from avdata manifests. One verb per file. */
#include "apps/avtrain/avtrain.h"
#include "apps/common/cli.h"
#include "apps/common/verbs.h"

/* Add a verb: its file, its declaration in avtrain.h, one line here. */
static const app_verb verbs[] = {
    {"action", avtrain_action, "an action-recognition model (any 'avact info' architecture) on labelled clips"},
    {"cosep", avtrain_cosep, "a Co-Separation model: each video's object masks add up to its own sound"},
    {"loc", avtrain_loc, "a sound-source localization model (LVS, EZ-VSL), self-supervised on video with audio"},
    {"sep", avtrain_sep, "a visually guided separation model (Sound of Pixels) by mix-and-separate"},
    {"speech", avtrain_speech, "an audio-visual speech separation model (avspeech) on mixed talking faces"},
};

int main(int argc, char **argv) {
  app_init("avtrain", argc, argv);
  return app_dispatch("Trains models on avdata manifests.", verbs, sizeof verbs / sizeof *verbs, argc, argv);
}
