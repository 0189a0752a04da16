/* File-system helpers (see files.h). */
#include "av/files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
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

/* Each slot: FREE, then FILLING while a thread copies a name in, then
 * TRACKED; a signal handler only reads TRACKED slots. */
enum { SLOT_FREE, SLOT_FILLING, SLOT_TRACKED };
static struct {
  atomic_int state;
  bool folder;
  char path[AVS_TMP_PATH];
} tmps[AVS_TMP_MAX];

static int track(const char *path, bool folder) {
  size_t n = strlen(path);
  if (n >= AVS_TMP_PATH) return avs_seterr(AVS_EINVAL, "temporary file name too long: %s", path);
  for (int i = 0; i < AVS_TMP_MAX; i++) {
    int expect = SLOT_FREE;
    if (!atomic_compare_exchange_strong(&tmps[i].state, &expect, SLOT_FILLING)) continue;
    memcpy(tmps[i].path, path, n + 1);
    tmps[i].folder = folder;
    atomic_store(&tmps[i].state, SLOT_TRACKED);
    return AVS_OK;
  }
  return avs_seterr(AVS_EINVAL, "more than %d temporary files at once", AVS_TMP_MAX);
}

int avs_tmp_track(const char *path) { return track(path, false); }
int avs_tmp_track_folder(const char *path) { return track(path, true); }

/* A flat folder and its files, with system calls only (no opendir: it
 * allocates, and this runs in signal handlers). */
static void remove_folder(const char *path) {
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    static char buf[4096]; /* one signal handler at a time: the others wait for the lock-free slots */
    long n;
    while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
      for (long at = 0; at < n;) {
        struct dirent64 *e = (struct dirent64 *)(buf + at);
        at += e->d_reclen;
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) unlinkat(fd, e->d_name, 0);
      }
    }
    close(fd);
  }
  rmdir(path);
}

void avs_tmp_forget(const char *path) {
  for (int i = 0; i < AVS_TMP_MAX; i++) {
    int expect = SLOT_TRACKED;
    if (atomic_load(&tmps[i].state) != SLOT_TRACKED || strcmp(tmps[i].path, path)) continue;
    if (atomic_compare_exchange_strong(&tmps[i].state, &expect, SLOT_FILLING)) atomic_store(&tmps[i].state, SLOT_FREE);
  }
}

/* A slot another thread is filling (between its claim and its store) is waited
 * for a moment: the file it names is about to exist. Bounded: the thread may be
 * the one this signal handler interrupted. */
static void settle(int i) {
  for (int k = 0; k < 1000 && atomic_load(&tmps[i].state) == SLOT_FILLING; k++)
    nanosleep(&(struct timespec){.tv_nsec = 10000}, NULL);
}

/* Removes every tracked file, then every tracked folder; `release` frees their
 * slots. Returns how many were removed. */
static int remove_round(bool release) {
  int removed = 0;
  for (int pass = 0; pass < 2; pass++) /* files first: some may live in a tracked folder */
    for (int i = 0; i < AVS_TMP_MAX; i++) {
      settle(i);
      int expect = SLOT_TRACKED;
      if (tmps[i].folder != (pass == 1) || !atomic_compare_exchange_strong(&tmps[i].state, &expect, SLOT_FILLING))
        continue;
      if (tmps[i].folder) remove_folder(tmps[i].path);
      else unlink(tmps[i].path);
      atomic_store(&tmps[i].state, release ? SLOT_FREE : SLOT_TRACKED);
      removed++;
    }
  return removed;
}

void avs_tmp_remove_all(void) {
  /* In a signal handler the other threads keep running until the process dies:
   * one may create the file it has just tracked after the first round, so a
   * second round follows a moment later. */
  if (remove_round(false)) nanosleep(&(struct timespec){.tv_nsec = 20000000}, NULL);
  remove_round(true);
}

int avs_write_text(const char *path, const char *text) {
  size_t n = strlen(path) + 32;
  char *tmp = malloc(n);
  if (!tmp) return avs_seterr(AVS_ENOMEM, "out of memory");
  snprintf(tmp, n, "%s.tmp%d", path, (int)getpid());
  int rc = avs_tmp_track(tmp);
  if (rc) {
    free(tmp);
    return rc;
  }
  FILE *f = fopen(tmp, "w");
  bool ok = f && fputs(text, f) != EOF;
  if (f && fclose(f)) ok = false;
  if (!ok || rename(tmp, path)) {
    int e = errno;
    remove(tmp);
    avs_tmp_forget(tmp);
    free(tmp);
    return avs_seterr(AVS_EIO, "cannot write %s: %s", path, strerror(e));
  }
  avs_tmp_forget(tmp);
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
  int why = errno; /* EISDIR for a folder */
  fclose(f);
  if (!buf) return avs_seterr(AVS_ENOMEM, "out of memory");
  if (err) {
    free(buf);
    return avs_seterr(AVS_EIO, "cannot read %s: %s", path, strerror(why));
  }
  buf[len] = 0;
  *out = buf;
  return AVS_OK;
}
