#include "apps/common/cli.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "av/ctx.h"
#include "av/files.h"
#include "av/status.h"
#include "av/threads.h"

#ifndef AVS_VERSION_STRING
#define AVS_VERSION_STRING "0"
#endif

static const char *prog = "avs";
static bool quiet, verbose;
static int threads;
const char *app_precision = "auto";

static void log_to_stderr(avs_log_level level, const char *msg, void *user) {
  (void)user;
  static const char *names[] = {"error", "warning", "info", "debug"};
  fprintf(stderr, "%s: %s: %s\n", prog, names[level], msg);
}

/* Stopped by a signal: remove the temporaries in flight (the library's
 * register, async-signal-safe), then die of the signal as if unhandled. */
static void on_stop_signal(int sig) {
  avs_tmp_remove_all();
  signal(sig, SIG_DFL);
  raise(sig);
}

static void remove_temporaries(void) { avs_tmp_remove_all(); }

void app_init(const char *name, int argc, char **argv) {
  (void)argc, (void)argv;
  prog = name;
  atexit(remove_temporaries);
  static const int stops[] = {SIGINT, SIGTERM, SIGHUP};
  for (size_t i = 0; i < sizeof stops / sizeof *stops; i++) {
    struct sigaction sa = {.sa_handler = on_stop_signal};
    sigemptyset(&sa.sa_mask);
    struct sigaction old;
    /* a signal ignored by the parent (nohup, a background job) stays ignored */
    if (!sigaction(stops[i], NULL, &old) && old.sa_handler != SIG_IGN) sigaction(stops[i], &sa, NULL);
  }
  avs_log_set_callback(log_to_stderr, NULL);
  avs_log_set_level(AVS_LOG_WARN);
}

const char *app_name(void) { return prog; }
bool app_quiet(void) { return quiet; }
bool app_verbose(void) { return verbose; }
int app_threads(void) { return threads; }

noreturn void app_usage_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "%s: ", prog);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nTry '%s --help' for more information.\n", prog);
  exit(APP_EXIT_USAGE);
}

static void error_line(const char *fmt, va_list ap) {
  fprintf(stderr, "%s: error: ", prog);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
}

noreturn void app_fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  error_line(fmt, ap);
  va_end(ap);
  exit(APP_EXIT_FAILURE);
}

void app_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  error_line(fmt, ap);
  va_end(ap);
}

noreturn void app_fail_status(int status) {
  app_fail("%s", avs_errmsg()[0] ? avs_errmsg() : avs_strerror(status));
}

void app_warn(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "%s: warning: ", prog);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

void app_info(const char *fmt, ...) {
  if (quiet) return;
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

static const app_opt common_opts[] = {
    {"threads", 't', APP_INT, &threads, "worker threads (0 = all cores)", 0, 1024},
    {"quiet", 'q', APP_FLAG, &quiet, "print only results and errors", 0, 0},
    {"verbose", 'v', APP_FLAG, &verbose, "print debugging information", 0, 0},
};

static void print_default(const app_opt *o) {
  switch (o->type) {
  case APP_INT: printf(" (default %d)", *(int *)o->dst); break;
  case APP_FLOAT: printf(" (default %g)", *(float *)o->dst); break;
  case APP_STRING:
    if (*(const char **)o->dst) printf(" (default %s)", *(const char **)o->dst);
    break;
  case APP_FLAG: break;
  }
}

static void print_opt(const app_opt *o) {
  char left[64];
  const char *arg = o->type == APP_INT ? " N" : o->type == APP_FLOAT ? " X" : o->type == APP_STRING ? " VALUE" : "";
  if (o->short_name)
    snprintf(left, sizeof left, "-%c, --%s%s", o->short_name, o->long_name, arg);
  else
    snprintf(left, sizeof left, "    --%s%s", o->long_name, arg);
  printf("  %-28s %s", left, o->help);
  print_default(o);
  printf("\n");
}

static void print_help(const app_opt *opts, const char *usage) {
  printf("%s\nOptions:\n", usage);
  for (const app_opt *o = opts; o && o->long_name; o++) print_opt(o);
  for (size_t i = 0; i < sizeof common_opts / sizeof *common_opts; i++) print_opt(&common_opts[i]);
  printf("  %-28s %s\n  %-28s %s\n", "-h, --help", "show this help and exit", "    --version",
         "show the version and exit");
}

static const app_opt *find_opt(const app_opt *opts, const char *long_name, char short_name) {
  for (int pass = 0; pass < 2; pass++) {
    const app_opt *o = pass ? common_opts : opts;
    size_t n = pass ? sizeof common_opts / sizeof *common_opts : (size_t)-1;
    for (size_t i = 0; o && i < n && o[i].long_name; i++)
      if ((long_name && !strcmp(o[i].long_name, long_name)) || (short_name && o[i].short_name == short_name))
        return &o[i];
  }
  return NULL;
}

/* The options given on the command line (their dst), for app_given. */
static const void *given[128];
static int n_given;

bool app_given(const void *dst) {
  for (int i = 0; i < n_given; i++)
    if (given[i] == dst) return true;
  return false;
}

static void mark_given(const app_opt *o) {
  if (!app_given(o->dst) && n_given < (int)(sizeof given / sizeof *given)) given[n_given++] = o->dst;
}

/* Every number option of every app comes through here: NaN, infinities and
 * values that do not fit the destination (an int, a float) are usage errors,
 * whatever the option's range. */
static void set_value(const app_opt *o, const char *text) {
  char *end;
  mark_given(o);
  if (o->type == APP_STRING) {
    *(const char **)o->dst = text;
    return;
  }
  double v = o->type == APP_INT ? (double)strtol(text, &end, 10) : strtod(text, &end);
  if (end == text || *end)
    app_usage_error("option --%s needs a %s, got '%s'", o->long_name, o->type == APP_INT ? "whole number" : "number", text);
  double limit = o->type == APP_INT ? (double)INT_MAX : (double)FLT_MAX;
  if (!isfinite(v) || fabs(v) > limit)
    app_usage_error("option --%s needs a finite number%s, got '%s'", o->long_name,
                    o->type == APP_INT ? " that fits an int" : "", text);
  if (o->min < o->max && (v < o->min || v > o->max))
    app_usage_error("option --%s must be between %g and %g, got %s", o->long_name, o->min, o->max, text);
  if (o->type == APP_INT)
    *(int *)o->dst = (int)v;
  else
    *(float *)o->dst = (float)v;
}

static bool has_opt(const app_opt *opts, const void *dst) {
  for (const app_opt *o = opts; o->long_name; o++)
    if (o->dst == dst) return true;
  return false;
}

static void apply_precision(void) {
  const char *env = getenv("AVS_PRECISION");
  const char *text = !app_given(&app_precision) && env && *env ? env : app_precision;
  avs_precision p;
  int st = avs_precision_parse(text, &p);
  if (st == AVS_EINVAL) app_usage_error("%s%s", avs_errmsg(), text == env ? " (from AVS_PRECISION)" : "");
  if (st) app_fail_status(st);
  avs_precision_set_default(p);
}

int app_parse(int argc, char **argv, int first, const app_opt *opts, const char *usage, const char **pos,
              int max_pos, int min_pos) {
  int n_pos = 0;
  bool only_pos = false;
  for (int i = first; i < argc; i++) {
    const char *a = argv[i];
    if (only_pos || a[0] != '-' || !a[1]) {
      if (n_pos >= max_pos) app_usage_error("unexpected argument '%s'", a);
      pos[n_pos++] = a;
      continue;
    }
    if (!strcmp(a, "--")) {
      only_pos = true;
      continue;
    }
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      print_help(opts, usage);
      exit(0);
    }
    if (!strcmp(a, "--version")) {
      printf("%s %s\n", prog, AVS_VERSION_STRING);
      exit(0);
    }
    const char *value = NULL;
    const app_opt *o;
    if (a[1] == '-') {
      char name[64];
      const char *eq = strchr(a + 2, '=');
      size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
      snprintf(name, sizeof name, "%.*s", (int)len, a + 2);
      if (eq) value = eq + 1;
      o = find_opt(opts, name, 0);
    } else {
      if (a[2]) value = a + 2; /* -t2 */
      o = find_opt(opts, NULL, a[1]);
    }
    if (!o) app_usage_error("unknown option '%s'", a);
    if (o->type == APP_FLAG) {
      if (value) app_usage_error("option --%s takes no value", o->long_name);
      *(bool *)o->dst = true;
      mark_given(o);
      continue;
    }
    if (!value) {
      if (i + 1 >= argc) app_usage_error("option --%s needs a value", o->long_name);
      value = argv[++i];
    }
    set_value(o, value);
  }
  if (n_pos < min_pos) app_usage_error("missing input (%d needed, %d given)", min_pos, n_pos);
  if (verbose) avs_log_set_level(AVS_LOG_DEBUG);
  else if (quiet) avs_log_set_level(AVS_LOG_ERROR);
  avs_threads_set(threads);
  if (opts && has_opt(opts, &app_precision)) apply_precision();
  return n_pos;
}
