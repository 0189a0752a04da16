/* avloc: where in the picture the sound comes from. One verb per file. */
#include "apps/avloc/avloc.h"
#include "apps/common/cli.h"
#include "apps/common/verbs.h"

/* Add a verb: its file, its declaration in avloc.h, one line here. */
static const app_verb verbs[] = {
    {"heatmap", avloc_heatmap, "sound-source heatmaps over a whole video (overlay MP4, PNGs, JSON peaks)"},
};

int main(int argc, char **argv) {
  app_init("avloc", argc, argv);
  return app_dispatch("Localizes the sounding things of a video: where the sound comes from.", verbs,
                      sizeof verbs / sizeof *verbs, argc, argv);
}
