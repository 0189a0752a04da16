#include "apps/common/output.h"

#include "av/files.h"
#include "av/status.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apps/common/cli.h"

#define MAX_PENDING 64
static char *pending[MAX_PENDING];

static void remove_pending(void) {
  for (int i = 0; i < MAX_PENDING; i++)
    if (pending[i]) {
      remove(pending[i]);
      free(pending[i]);
      pending[i] = NULL;
    }
}

void app_cleanup_on_exit(const char *tmp) {
  static bool registered;
  if (!registered) {
    atexit(remove_pending);
    registered = true;
  }
  for (int i = 0; i < MAX_PENDING; i++)
    if (!pending[i]) {
      pending[i] = strdup(tmp);
      return;
    }
}

void app_cleanup_forget(const char *tmp) {
  for (int i = 0; i < MAX_PENDING; i++)
    if (pending[i] && !strcmp(pending[i], tmp)) {
      free(pending[i]);
      pending[i] = NULL;
    }
}

char *app_tmp_path(const char *path) {
  char *copy1 = strdup(path), *copy2 = strdup(path);
  if (!copy1 || !copy2) app_fail("out of memory");
  const char *dir = dirname(copy1), *base = basename(copy2);
  const char *dot = strrchr(base, '.');
  size_t n = strlen(path) + 64;
  char *tmp = malloc(n);
  if (!tmp) app_fail("out of memory");
  if (dot && dot != base)
    snprintf(tmp, n, "%s/.%.*s.tmp%d%s", dir, (int)(dot - base), base, (int)getpid(), dot);
  else
    snprintf(tmp, n, "%s/.%s.tmp%d", dir, base, (int)getpid());
  free(copy1);
  free(copy2);
  app_cleanup_on_exit(tmp);
  return tmp;
}

void app_commit(const char *tmp, const char *path) {
  if (rename(tmp, path)) {
    int e = errno;
    remove(tmp);
    app_cleanup_forget(tmp);
    app_fail("cannot write %s: %s", path, strerror(e));
  }
  app_cleanup_forget(tmp);
}

void app_mkdirs(const char *dir) {
  if (avs_mkdirs(dir)) app_fail_status(avs_errcode());
}

bool app_file_exists(const char *path) {
  struct stat sb;
  return !stat(path, &sb);
}
