/* `app VERB [options] ...` dispatch shared by the multi-verb apps. */
#ifndef AVS_APP_VERBS_H
#define AVS_APP_VERBS_H

typedef struct {
  const char *name;
  int (*run)(int argc, char **argv); /* gets the whole argv: argv[1] is the verb */
  const char *what;                  /* one line for the verb list */
} app_verb;

/* Handles no verb (usage error), -h/--help/help (verb list, exit 0), --version,
 * an unknown verb (usage error); otherwise returns the verb's exit code.
 * Call after app_init. */
int app_dispatch(const char *description, const app_verb *verbs, int n_verbs, int argc, char **argv);

#endif
