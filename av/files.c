/* File-system helpers (see files.h). */
#include "av/files.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "av/status.h"

int avs_mkdirs(const char *dir) {
  if (!dir || !dir[0]) return avs_seterr(AVS_EINVAL, "empty folder name");
  char *p = strdup(dir);
  if (!p) return avs_seterr(AVS_ENOMEM, "out of memory");
  int rc = AVS_OK;
  for (char *s = p + 1;; s++) {
    if (*s != '/' && *s) continue;
    char c = *s;
    *s = 0;
    struct stat sb;
    if (mkdir(p, 0777) && errno != EEXIST) rc = avs_seterr(AVS_EIO, "cannot create folder %s: %s", p, strerror(errno));
    else if (stat(p, &sb) || !S_ISDIR(sb.st_mode)) rc = avs_seterr(AVS_EIO, "%s exists and is not a folder", p);
    *s = c;
    if (rc || !c) break;
  }
  if (!rc && access(p, W_OK)) rc = avs_seterr(AVS_EIO, "cannot write to folder %s: %s", p, strerror(errno));
  free(p);
  return rc;
}

int avs_write_text(const char *path, const char *text) {
  size_t n = strlen(path) + 32;
  char *tmp = malloc(n);
  if (!tmp) return avs_seterr(AVS_ENOMEM, "out of memory");
  snprintf(tmp, n, "%s.tmp%d", path, (int)getpid());
  FILE *f = fopen(tmp, "w");
  bool ok = f && fputs(text, f) != EOF;
  if (f && fclose(f)) ok = false;
  if (!ok || rename(tmp, path)) {
    int e = errno;
    remove(tmp);
    free(tmp);
    return avs_seterr(AVS_EIO, "cannot write %s: %s", path, strerror(e));
  }
  free(tmp);
  return AVS_OK;
}

int avs_read_text(const char *path, char **out) {
  *out = NULL;
  FILE *f = fopen(path, "rb");
  if (!f) return avs_seterr(errno == ENOENT ? AVS_ENOTFOUND : AVS_EIO, "cannot open %s: %s", path, strerror(errno));
  size_t cap = 1 << 16, len = 0, got;
  char *buf = malloc(cap);
  while (buf && (got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
    len += got;
    if (len + 1 == cap) {
      char *bigger = realloc(buf, cap *= 2);
      if (!bigger) free(buf);
      buf = bigger;
    }
  }
  bool err = ferror(f);
  fclose(f);
  if (!buf) return avs_seterr(AVS_ENOMEM, "out of memory");
  if (err) {
    free(buf);
    return avs_seterr(AVS_EIO, "cannot read %s", path);
  }
  buf[len] = 0;
  *out = buf;
  return AVS_OK;
}
