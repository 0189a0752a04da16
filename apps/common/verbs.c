#include "apps/common/verbs.h"

#include <stdio.h>
#include <string.h>

#include "apps/common/cli.h"

static void list_verbs(const char *description, const app_verb *verbs, int n) {
  printf("Usage: %s VERB [options] ...\n%s\n\nVerbs:\n", app_name(), description);
  for (int i = 0; i < n; i++) printf("  %-9s %s\n", verbs[i].name, verbs[i].what);
  printf("\n'%s VERB --help' describes a verb's options.\n", app_name());
}

int app_dispatch(const char *description, const app_verb *verbs, int n_verbs, int argc, char **argv) {
  if (argc < 2) {
    char names[256] = "";
    for (int i = 0; i < n_verbs; i++)
      snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "", verbs[i].name);
    app_usage_error("missing verb (one of: %s)", names);
  }
  const char *v = argv[1];
  if (!strcmp(v, "-h") || !strcmp(v, "--help") || !strcmp(v, "help")) {
    list_verbs(description, verbs, n_verbs);
    return 0;
  }
  if (!strcmp(v, "--version")) app_parse(argc, argv, 1, NULL, "", NULL, 0, 0); /* prints, exits */
  for (int i = 0; i < n_verbs; i++)
    if (!strcmp(v, verbs[i].name)) return verbs[i].run(argc, argv);
  app_usage_error("unknown verb '%s'", v);
}
