/* What avdata synth owns in a set folder, and removing it (see avdata.h). */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "av/status.h"
#include "data/generator/avdata.h"

/* s points at digits up to end (at least one). */
static bool digits(const char *s, const char *end) {
  if (s >= end) return false;
  for (; s < end; s++)
    if (*s < '0' || *s > '9') return false;
  return true;
}

static bool one_of(const char *s, size_t n, const char *const *names) {
  for (; *names; names++)
    if (strlen(*names) == n && !strncmp(s, *names, n)) return true;
  return false;
}

/* base.ext, or the temporary .base.tmp<pid>.ext, with base and ext accepted by the predicates. */
static bool named(const char *name, bool (*base_ok)(const char *, const char *), const char *const *exts) {
  const char *dot = strrchr(name, '.');
  if (!dot || dot == name || !one_of(dot + 1, strlen(dot + 1), exts)) return false;
  if (name[0] != '.') return base_ok(name, dot);
  const char *tmp = NULL; /* the last ".tmp" before the extension */
  for (const char *p = name + 1; (p = strstr(p, ".tmp")) && p < dot; p++) tmp = p;
  return tmp && tmp > name + 1 && digits(tmp + 4, dot) && base_ok(name + 1, tmp);
}

static bool clip_base(const char *s, const char *end) {
  static const char *const fixed[] = {"video", "mix", NULL};
  return one_of(s, (size_t)(end - s), fixed) || (s[0] == 's' && digits(s + 1, end));
}

static bool set_base(const char *s, const char *end) {
  static const char *const fixed[] = {"train", "val", "test", "meta", NULL};
  return one_of(s, (size_t)(end - s), fixed);
}

bool avs_data_owned_clip_file(const char *name) {
  static const char *const exts[] = {"mp4", "wav", "flac", NULL};
  return named(name, clip_base, exts);
}

bool avs_data_owned_clip_dir(const char *name) {
  static const char *const kinds[] = {"music", "speech", "actions", NULL};
  static const char *const splits[] = {"train", "val", "test", NULL};
  const char *a = strchr(name, '_'), *b = a ? strchr(a + 1, '_') : NULL;
  return b && one_of(name, (size_t)(a - name), kinds) && one_of(a + 1, (size_t)(b - a - 1), splits) &&
         digits(b + 1, b + 1 + strlen(b + 1));
}

static bool set_file(const char *name) {
  static const char *const exts[] = {"jsonl", "json", NULL};
  if (!named(name, set_base, exts)) return false;
  bool meta = strstr(name, "meta") == name + (name[0] == '.'); /* meta.json; the splits' .jsonl */
  return meta == !strcmp(strrchr(name, '.'), ".json");
}

/* Removes the regular files of dir that own() accepts. */
static int remove_owned(const char *dir, bool (*own)(const char *)) {
  DIR *d = opendir(dir);
  if (!d) return errno == ENOENT ? AVS_OK : avs_seterr(AVS_EIO, "cannot read folder %s: %s", dir, strerror(errno));
  int rc = AVS_OK;
  struct dirent *e;
  while (!rc && (e = readdir(d))) {
    char path[4096 + 512];
    struct stat sb;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    if (own(e->d_name) && !lstat(path, &sb) && S_ISREG(sb.st_mode) && unlink(path))
      rc = avs_seterr(AVS_EIO, "cannot remove %s: %s", path, strerror(errno));
  }
  closedir(d);
  return rc;
}

int avs_data_set_clear(const char *root) {
  char path[4096];
  snprintf(path, sizeof path, "%s/meta.json", root);
  /* meta.json first: it marks the set complete, so an interrupted clear leaves an incomplete set */
  if (unlink(path) && errno != ENOENT) return avs_seterr(AVS_EIO, "cannot remove %s: %s", path, strerror(errno));
  int rc = remove_owned(root, set_file);
  snprintf(path, sizeof path, "%s/clips", root);
  DIR *d = rc ? NULL : opendir(path);
  struct dirent *e;
  while (!rc && d && (e = readdir(d))) {
    if (!avs_data_owned_clip_dir(e->d_name)) continue;
    char clip[4096 + 256];
    snprintf(clip, sizeof clip, "%s/%s", path, e->d_name);
    if (!(rc = remove_owned(clip, avs_data_owned_clip_file))) rmdir(clip); /* kept when it holds anything else */
  }
  if (d) closedir(d), rmdir(path);
  return rc;
}
