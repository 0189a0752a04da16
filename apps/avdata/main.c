/* avdata: makes and checks the synthetic audio-visual benchmark. */
#include "apps/avdata/avdata.h"
#include "apps/common/cli.h"
#include "apps/common/verbs.h"

static const app_verb verbs[] = {
    {"synth", avdata_synth, "make clips (music, speech or actions) with ground truth and split manifests"},
    {"list", avdata_list, "list a kind's classes (instruments, speakers, motions)"},
    {"check", avdata_check, "verify a data set: files, stems summing to the mixture, boxes"},
    {"baseline", avdata_baseline, "oracle-mask and NMF separation scores on a split"},
};

int main(int argc, char **argv) {
  app_init("avdata", argc, argv);
  return app_dispatch("The synthetic audio-visual benchmark.", verbs, sizeof verbs / sizeof *verbs, argc, argv);
}
