/* aveval: evaluates AVS results against references. One verb per file. */
#include <stdio.h>
#include <string.h>

#include "apps/aveval/aveval.h"
#include "apps/common/cli.h"

typedef struct {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *what;
} verb;

/* Add a verb: its file, its declaration in aveval.h, one line here. */
static const verb verbs[] = {
    {"sep", aveval_sep, "separation: SDR/SIR/SAR (BSS Eval v3, as mir_eval), SI-SDR, NSDR"},
};
#define N_VERBS (int)(sizeof verbs / sizeof *verbs)

static void usage(FILE *f) {
  fprintf(f, "Usage: aveval VERB [options] ...\nEvaluates results against references.\n\nVerbs:\n");
  for (int i = 0; i < N_VERBS; i++) fprintf(f, "  %-8s %s\n", verbs[i].name, verbs[i].what);
  fprintf(f, "\n'aveval VERB --help' describes a verb's options.\n");
}

int main(int argc, char **argv) {
  app_init("aveval", argc, argv);
  if (argc < 2) app_usage_error("missing verb (one of: sep)");
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
