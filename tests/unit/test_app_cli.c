/* The apps' option parser (apps/common/cli.c), the one place every number
 * option of every app is read: NaN, infinities and values that do not fit
 * the destination are usage errors (exit 2) whatever the option's range; a
 * good value is stored and app_given tells it from a default. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "apps/common/cli.h"
#include "tests/harness.h"

static float x = 1.5f, bounded = 0.5f;
static int n = 3;
static bool flag;
static const app_opt opts[] = {
    {"x", 0, APP_FLOAT, &x, "an unbounded float", 0, 0},
    {"bounded", 0, APP_FLOAT, &bounded, "a float in [0, 1]", 0, 1},
    {"n", 0, APP_INT, &n, "an unbounded int", 0, 0},
    {"flag", 0, APP_FLAG, &flag, "a flag", 0, 0},
    {0},
};

/* The exit status of parsing `--name value` in a child (stderr silenced); 0 when parsing returns. */
static int parse_status(const char *name, const char *value) {
  fflush(stdout); /* the child must not print the parent's buffered lines again */
  pid_t pid = fork();
  AVS_ASSERT(pid >= 0);
  if (!pid) {
    AVS_ASSERT(freopen("/dev/null", "w", stderr));
    char *argv[] = {"t", (char *)name, (char *)value, NULL};
    app_parse(3, argv, 1, opts, "usage", NULL, 0, 0);
    _exit(0);
  }
  int st = 0;
  AVS_ASSERT(waitpid(pid, &st, 0) == pid);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(void) {
  app_init("t", 0, NULL);
  static const char *const bad[][2] = {
      {"--x", "nan"}, {"--x", "-nan"}, {"--x", "inf"}, {"--x", "-inf"}, {"--x", "1e39"}, {"--x", "-1e39"},
      {"--x", "1e400"}, {"--bounded", "nan"}, {"--bounded", "inf"}, {"--n", "nan"}, {"--n", "99999999999"},
      {"--n", "-99999999999"}, {"--n", "2147483648"}, {"--n", "1.5"}, {"--x", ""},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    int st = parse_status(bad[i][0], bad[i][1]);
    tst_true(st == APP_EXIT_USAGE, "%s '%s' is a usage error (exit %d)", bad[i][0], bad[i][1], st);
  }
  tst_true(parse_status("--x", "3e38") == 0 && parse_status("--n", "2147483647") == 0,
           "the largest values that fit are accepted");

  char *argv[] = {"t", "--x", "2.25", "--flag", NULL};
  app_parse(4, argv, 1, opts, "usage", NULL, 0, 0);
  tst_true(x == 2.25f && flag, "values stored (x %g)", x);
  tst_true(app_given(&x) && app_given(&flag) && !app_given(&n) && !app_given(&bounded),
           "app_given: --x and --flag given, --n and --bounded at their defaults");
  return tst_finish();
}
