/* aveval: evaluates AVS results against references. One verb per file. */
#include "apps/aveval/aveval.h"
#include "apps/common/cli.h"
#include "apps/common/verbs.h"

/* Add a verb: its file, its declaration in aveval.h, one line here. */
static const app_verb verbs[] = {
    {"action", aveval_action, "action recognition: top-1, top-5, per-class recall, confusion matrix"},
    {"loc", aveval_loc, "sound-source localization: cIoU, AP50, AUC (LVS/EZ-VSL protocol), baselines, silent objects"},
    {"sep", aveval_sep, "separation: SDR/SIR/SAR (BSS Eval v3, as mir_eval), SI-SDR, NSDR"},
};

int main(int argc, char **argv) {
  app_init("aveval", argc, argv);
  return app_dispatch("Evaluates results against references.", verbs, sizeof verbs / sizeof *verbs, argc, argv);
}
