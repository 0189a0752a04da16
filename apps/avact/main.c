/* avact: action recognition. `avact VERB [options] ...`; verbs in their own files. */
#include "apps/avact/avact.h"
#include "apps/common/cli.h"
#include "apps/common/verbs.h"

/* avact's verbs take argv[0] = the verb (avact.h); app_dispatch passes the
 * whole command line, argv[1] = the verb. */
#define VERB(fn) \
  static int fn##_verb(int argc, char **argv) { return fn(argc - 1, argv + 1); }
VERB(avact_classify)
VERB(avact_info)

/* Add a verb: its file, its declaration in avact.h, a VERB() line and a line here. */
static const app_verb verbs[] = {
    {"classify", avact_classify_verb, "the actions in a video: top classes over the whole video or per segment"},
    {"info", avact_info_verb,
     "list the architectures, or print a model's per-layer table (sizes, parameters, multiply-adds)"},
};

int main(int argc, char **argv) {
  app_init("avact", argc, argv);
  return app_dispatch("Action recognition in videos. The shipped model (data/models/action.safetensors) knows\n"
                      "only the 12 synthetic motions of 'avdata synth --kind actions' (translate_left/right/\n"
                      "up/down, rotate_cw/ccw, zoom_in/out, bounce, shake, orbit_cw/ccw): use -m for others.",
                      verbs, sizeof verbs / sizeof *verbs, argc, argv);
}
