/* avact: action recognition. `avact VERB [options] ...`; verbs in their own files. */
#include <stdio.h>
#include <string.h>

#include "apps/avact/avact.h"
#include "apps/common/cli.h"

static const struct {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *help;
} verbs[] = {
    {"classify", avact_classify, "the actions in a video: top classes over the whole video or per segment"},
    {"info", avact_info, "list the architectures, or print a model's per-layer table (sizes, parameters, multiply-adds)"},
};

static void usage(FILE *f) {
  fprintf(f, "Usage: avact VERB [options] ...\nAction recognition in videos.\n\nVerbs:\n");
  for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) fprintf(f, "  %-10s %s\n", verbs[i].name, verbs[i].help);
  fprintf(f, "\n'avact VERB --help' describes a verb's options.\n");
}

int main(int argc, char **argv) {
  app_init("avact", argc, argv);
  if (argc < 2) {
    usage(stderr);
    return APP_EXIT_USAGE;
  }
  if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
    usage(stdout);
    return 0;
  }
  if (!strcmp(argv[1], "--version")) {
    const char *a[] = {"avact", "--version"};
    app_parse(2, (char **)a, 1, (const app_opt[]){{0}}, "", NULL, 0, 0); /* prints and exits */
  }
  for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
    if (!strcmp(argv[1], verbs[i].name)) return verbs[i].run(argc - 1, argv + 1);
  app_usage_error("unknown verb '%s' (see 'avact --help')", argv[1]);
}
