/* Command-line conventions shared by every app (see DESIGN.md):
 *   app verb [options] inputs; -h/--help prints usage with defaults, exit 0;
 *   --version; a bad option or missing value: one line + short usage, exit 2;
 *   a runtime failure: "app: error: <what>", exit 1. */
#ifndef AVS_APP_CLI_H
#define AVS_APP_CLI_H

#include <stdbool.h>
#include <stdnoreturn.h>

#define APP_EXIT_FAILURE 1
#define APP_EXIT_USAGE 2

/* Must be called first in main: sets the program name, routes library logs
 * to stderr. argc and argv are not used (they were, for a re-exec). */
void app_init(const char *name, int argc, char **argv);
const char *app_name(void);

/* Option table. Values are parsed into *dst according to type. */
typedef enum { APP_FLAG, APP_INT, APP_FLOAT, APP_STRING } app_opt_type;
typedef struct {
  const char *long_name;  /* "threads" */
  char short_name;        /* 't' or 0 */
  app_opt_type type;
  void *dst;              /* bool*, int*, float*, const char** */
  const char *help;       /* one line; the default is printed from *dst */
  double min, max;        /* for APP_INT/APP_FLOAT when min < max: out of range is a usage error */
} app_opt;

/* Parses argv[first..] (options anywhere, "--" ends them); positional
 * arguments are returned in pos (up to max_pos; more is a usage error).
 * Handles -h/--help (prints usage and exits 0), --version, -q/--quiet,
 * -v/--verbose and -t/--threads which every app has. `usage` is the synopsis
 * line(s) and description printed above the options. Returns the count of positionals. */
int app_parse(int argc, char **argv, int first, const app_opt *opts, const char *usage, const char **pos,
              int max_pos, int min_pos);

/* Whether the option whose value lives at dst (an app_opt's dst) was given on
 * the command line, as opposed to keeping its default. */
bool app_given(const void *dst);

/* Usage error: message + "Try '<app> --help'." on stderr, exit 2. */
noreturn void app_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Runtime failure: "<app>: error: <msg>" on stderr, exit 1. */
noreturn void app_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same line without exiting: one input of several failed, the app goes on
 * (and exits APP_EXIT_FAILURE at the end). */
void app_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Runtime failure from a library status: "<app>: error: <avs_errmsg()>", exit 1. */
noreturn void app_fail_status(int status);
void app_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Informational line on stderr unless --quiet. */
void app_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool app_quiet(void);
bool app_verbose(void); /* -v/--verbose given (apps/common/verbose.h prints with it) */
int app_threads(void);

/* --precision, for the apps that run models: put APP_PRECISION_OPT in the
 * option table; app_parse then checks the value and makes it the precision of
 * every context made afterwards (av/ctx.h). Not given: $AVS_PRECISION, else auto. */
extern const char *app_precision;
#define APP_PRECISION_OPT                                                                          \
  {"precision", 0, APP_STRING, &app_precision,                                                     \
   "convolution arithmetic: fp32, bf16 or auto (bf16 where this CPU runs it faster)", 0, 0}

#endif
