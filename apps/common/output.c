#include "apps/common/output.h"

#include "av/files.h"
#include "av/status.h"

#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apps/common/cli.h"

/* The temporaries live in the library's register (av/files.h), with the
 * library writers' own: app_init removes them all at exit and on signals. */
void app_cleanup_on_exit(const char *tmp) {
  if (avs_tmp_track(tmp)) app_fail_status(avs_errcode());
}

void app_cleanup_forget(const char *tmp) { avs_tmp_forget(tmp); }

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

void app_check_new_file(const char *path, const char *opt, bool force) {
  if (!force && app_file_exists(path))
    app_fail("%s already exists: add --force to replace it, or choose another %s", path, opt);
}

void app_fail_output(const char *tmp, const char *out) {
  char msg[1024], *at;
  snprintf(msg, sizeof msg, "%s", avs_errmsg());
  if (tmp && (at = strstr(msg, tmp)) && at - msg >= 2 && at[-1] == '(' && at[-2] == ' ') at[-2] = 0;
  app_fail("%s (%s)", msg, out);
}

/* The folder part of path ("." for none), malloc'ed. */
static char *folder_of(const char *path) {
  char *copy = strdup(path);
  if (!copy) app_fail("out of memory");
  char *d = strdup(dirname(copy));
  free(copy);
  if (!d) app_fail("out of memory");
  return d;
}

static void check_writable_folder(const char *dir, const char *opt, const char *what) {
  struct stat sb;
  if (stat(dir, &sb)) app_fail("%s %s: the folder %s does not exist", opt, what, dir);
  if (!S_ISDIR(sb.st_mode)) app_fail("%s %s: %s is not a folder", opt, what, dir);
  if (access(dir, W_OK | X_OK)) app_fail("%s %s: cannot write to folder %s: %s", opt, what, dir, strerror(errno));
}

void app_check_out_file(const char *path, const char *opt) {
  struct stat sb;
  if (!path[0]) app_usage_error("%s: empty file name", opt);
  if (!stat(path, &sb) && S_ISDIR(sb.st_mode)) app_fail("%s %s: is a folder, not a file", opt, path);
  char *dir = folder_of(path);
  check_writable_folder(dir, opt, path);
  free(dir);
}

void app_check_out_dir(const char *dir, const char *opt) {
  if (!dir[0]) app_usage_error("%s: empty folder name", opt);
  char *d = strdup(dir);
  if (!d) app_fail("out of memory");
  struct stat sb;
  /* the nearest part of the path that exists must be a writable folder */
  while (stat(d, &sb) && strcmp(d, ".") && strcmp(d, "/")) {
    char *up = folder_of(d);
    free(d);
    d = up;
  }
  check_writable_folder(d, opt, dir);
  free(d);
}

static bool empty_dir(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *e;
  bool empty = d != NULL;
  while (empty && (e = readdir(d))) empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
  if (d) closedir(d);
  return empty;
}

char *app_dir_begin(const char *dir) {
  struct stat sb;
  if (!dir[0]) app_usage_error("--out: empty folder name");
  if (!stat(dir, &sb) && (!S_ISDIR(sb.st_mode) || !empty_dir(dir)))
    app_fail("%s already exists and is not an empty folder: choose another --out (nothing is overwritten)", dir);
  char *copy = strdup(dir);
  if (!copy) app_fail("out of memory");
  size_t len = strlen(copy);
  while (len > 1 && copy[len - 1] == '/') copy[--len] = 0;
  char *tmp = malloc(len + 32);
  if (!tmp) app_fail("out of memory");
  snprintf(tmp, len + 32, "%s.tmp%d", copy, (int)getpid());
  free(copy);
  /* tracked before it exists: a signal in between finds nothing to remove */
  if (avs_tmp_track_folder(tmp)) app_fail_status(avs_errcode());
  if (avs_mkdirs(tmp)) app_fail("cannot write the outputs: %s", avs_errmsg());
  return tmp;
}

void app_dir_commit(const char *tmp, const char *dir) {
  struct stat sb;
  if (!stat(dir, &sb) && rmdir(dir)) app_fail("cannot replace the empty folder %s: %s", dir, strerror(errno));
  if (rename(tmp, dir)) app_fail("cannot write %s: %s", dir, strerror(errno));
  avs_tmp_forget(tmp);
}
