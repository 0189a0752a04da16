#include "av/datadir.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "av/status.h"

#ifndef AVS_DATA_DIR_BUILD
#define AVS_DATA_DIR_BUILD ""
#endif
#ifndef AVS_BUILD_DIR
#define AVS_BUILD_DIR ""
#endif
#ifndef AVS_DATA_DIR_INSTALL
#define AVS_DATA_DIR_INSTALL "/usr/local/share/avs"
#endif
#ifndef AVS_DATA_FROM_BIN
#define AVS_DATA_FROM_BIN "../share/avs"
#endif
#ifndef AVS_DATA_FROM_LIB
#define AVS_DATA_FROM_LIB "../share/avs"
#endif

enum { MAX_ROOTS = 5 };
typedef struct {
  char dir[MAX_ROOTS][PATH_MAX];
  int n;
} roots;

/* Adds base/rel (rel may be NULL), canonical when it exists, unless already listed. */
static void add(roots *r, const char *base, const char *rel) {
  if (!base || !base[0] || r->n == MAX_ROOTS) return;
  char path[PATH_MAX];
  if (snprintf(path, sizeof path, "%s%s%s", base, rel ? "/" : "", rel ? rel : "") >= (int)sizeof path) return;
  char *dir = r->dir[r->n];
  if (!realpath(path, dir)) snprintf(dir, PATH_MAX, "%s", path);
  for (int i = 0; i < r->n; i++)
    if (!strcmp(r->dir[i], dir)) return;
  r->n++;
}

/* The folder of a file (in place). */
static char *parent(char *path) {
  char *slash = strrchr(path, '/');
  if (!slash) return NULL;
  *slash = 0;
  return path;
}

/* Whether path lies in the build tree: its programs and libavs.so read the
 * source tree's data/, installed copies never do. */
static bool in_build_tree(const char *path) {
  char build[PATH_MAX];
  if (!AVS_BUILD_DIR[0] || !realpath(AVS_BUILD_DIR, build)) return false;
  size_t n = strlen(build);
  return !strncmp(path, build, n) && path[n] == '/';
}

static void find_roots(roots *r) {
  r->n = 0;
  add(r, getenv("AVS_DATA"), NULL);
  char exe[PATH_MAX] = "", lib[PATH_MAX] = "", dir[PATH_MAX];
  ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (len > 0) {
    exe[len] = 0;
    memcpy(dir, exe, (size_t)len + 1);
    add(r, parent(dir), AVS_DATA_FROM_BIN);
  }
  Dl_info info;
  if (dladdr((void *)avs_data_path, &info) && info.dli_fname && realpath(info.dli_fname, lib) && strcmp(lib, exe)) {
    memcpy(dir, lib, sizeof dir); /* libavs.so, not the program itself (a static link) */
    add(r, parent(dir), AVS_DATA_FROM_LIB);
  }
  if (in_build_tree(exe) || in_build_tree(lib)) add(r, AVS_DATA_DIR_BUILD, NULL);
  add(r, AVS_DATA_DIR_INSTALL, NULL);
}

static bool is_file(const char *path) {
  struct stat st;
  return !stat(path, &st) && S_ISREG(st.st_mode);
}

int avs_data_path(const char *rel, char **out) {
  *out = NULL;
  if (!rel || !rel[0] || rel[0] == '/') return avs_seterr(AVS_EINVAL, "avs_data_path: give a relative path");
  roots r;
  find_roots(&r);
  for (int i = 0; i < r.n; i++) {
    size_t n = strlen(r.dir[i]) + strlen(rel) + 2;
    char *p = malloc(n);
    if (!p) return avs_seterr(AVS_ENOMEM, "out of memory");
    snprintf(p, n, "%s/%s", r.dir[i], rel);
    if (is_file(p)) {
      avs_log(AVS_LOG_DEBUG, "data: %s", p);
      *out = p;
      return AVS_OK;
    }
    free(p);
  }
  char tried[400] = "";
  for (int i = 0; i < r.n; i++)
    snprintf(tried + strlen(tried), sizeof tried - strlen(tried), "%s%s", i ? ", " : "", r.dir[i]);
  return avs_seterr(AVS_ENOTFOUND, "shipped data file %s not found in %s%s; set AVS_DATA to the folder holding "
                    "models/, labels/ and samples/", rel, getenv("AVS_DATA") ? "" : "$AVS_DATA (unset), ", tried);
}
