/* avsep: separates the sounds of a video by what is seen. One verb per file. */
#include "apps/avsep/avsep.h"
#include "apps/common/cli.h"
#include "apps/common/verbs.h"

/* Add a verb: its file, its declaration in avsep.h, one line here. */
static const app_verb verbs[] = {
    {"separate", avsep_separate, "one audio track per visible sound source (Sound of Pixels)"},
    {"faces", avsep_faces, "faces in an image or a video, as OpenCV's cascade detector finds them"},
    {"speech", avsep_speech, "one voice per person on screen (audio-visual speech separation)"},
    {"coseparate", avsep_coseparate, "sounds of the objects of several videos from their mixture (co-separation)"},
};

int main(int argc, char **argv) {
  app_init("avsep", argc, argv);
  return app_dispatch("Separates the sounds of a video by what is seen.", verbs, sizeof verbs / sizeof *verbs, argc,
                      argv);
}
