/* avdata: makes and checks the synthetic audio-visual benchmark. */
#include <stdio.h>
#include <string.h>

#include "apps/avdata/avdata.h"
#include "apps/common/cli.h"

typedef struct {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *what;
} verb;

static const verb verbs[] = {
    {"synth", avdata_synth, "make clips (music, speech or actions) with ground truth and split manifests"},
    {"list", avdata_list, "list a kind's classes (instruments, speakers, motions)"},
    {"check", avdata_check, "verify a data set: files, stems summing to the mixture, boxes"},
    {"baseline", avdata_baseline, "oracle-mask and NMF separation scores on a split"},
};
#define N_VERBS (int)(sizeof verbs / sizeof *verbs)

static void usage(FILE *f) {
  fprintf(f, "Usage: avdata VERB [options] ...\nThe synthetic audio-visual benchmark.\n\nVerbs:\n");
  for (int i = 0; i < N_VERBS; i++) fprintf(f, "  %-9s %s\n", verbs[i].name, verbs[i].what);
  fprintf(f, "\n'avdata VERB --help' describes a verb's options.\n");
}

int main(int argc, char **argv) {
  app_init("avdata", argc, argv);
  if (argc < 2) app_usage_error("missing verb (one of: synth, list, check, baseline)");
  const char *v = argv[1];
  if (!strcmp(v, "-h") || !strcmp(v, "--help") || !strcmp(v, "help")) {
    usage(stdout);
    return 0;
  }
  if (!strcmp(v, "--version")) app_parse(argc, argv, 1, NULL, "", NULL, 0, 0); /* prints, exits */
  for (int i = 0; i < N_VERBS; i++)
    if (!strcmp(v, verbs[i].name)) return verbs[i].run(argc, argv);
  app_usage_error("unknown verb '%s'", v);
}
