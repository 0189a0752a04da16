#include "av/status.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

static _Thread_local char err_msg[512];
static _Thread_local int err_code;
static avs_log_level log_level = AVS_LOG_WARN;
static avs_log_fn log_fn;
static void *log_user;

const char *avs_strerror(int code) {
  switch (code) {
  case AVS_OK: return "ok";
  case AVS_EINVAL: return "invalid argument";
  case AVS_ENOMEM: return "out of memory";
  case AVS_EIO: return "input/output error";
  case AVS_EFORMAT: return "malformed file";
  case AVS_ESHAPE: return "shape mismatch";
  case AVS_ENOTFOUND: return "not found";
  case AVS_EUNSUPPORTED: return "not supported";
  case AVS_EBACKEND: return "backend failure";
  default: return "unknown error";
  }
}

const char *avs_errmsg(void) { return err_msg; }
int avs_errcode(void) { return err_code; }
void avs_clearerr(void) { err_msg[0] = 0; err_code = AVS_OK; }

int avs_seterr(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err_msg, sizeof err_msg, fmt, ap);
  va_end(ap);
  err_code = code;
  return code;
}

/* The current message (or the code's text) with path before or after it; copied
 * first, since avs_seterr writes the same buffer. */
static int with_path(int code, const char *path, bool before) {
  char msg[sizeof err_msg];
  snprintf(msg, sizeof msg, "%s", err_msg[0] ? err_msg : avs_strerror(code));
  return before ? avs_seterr(code, "%s: %s", path, msg) : avs_seterr(code, "%s (%s)", msg, path);
}

int avs_errprefix(int code, const char *path) { return with_path(code, path, true); }
int avs_errsuffix(int code, const char *path) { return with_path(code, path, false); }

int avs_errno_code(int errnum) {
  switch (errnum) {
  case ENOENT: return AVS_ENOTFOUND;
  case ENOMEM: return AVS_ENOMEM;
  case EINVAL: return AVS_EINVAL;
  case ENOSYS:
  case EOPNOTSUPP: return AVS_EUNSUPPORTED;
  default: return AVS_EIO;
  }
}

void avs_log_set_level(avs_log_level level) { log_level = level; }
avs_log_level avs_log_get_level(void) { return log_level; }
void avs_log_set_callback(avs_log_fn fn, void *user) { log_fn = fn; log_user = user; }

void avs_log(avs_log_level level, const char *fmt, ...) {
  if (level > log_level) return;
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (log_fn) {
    log_fn(level, msg, log_user);
    return;
  }
  static const char *names[] = {"error", "warning", "info", "debug"};
  fprintf(stderr, "avs: %s: %s\n", names[level], msg);
}

void avs_assert_fail(const char *expr, const char *file, int line) {
  fprintf(stderr, "avs: internal error: assertion '%s' failed at %s:%d\n", expr, file, line);
  abort();
}
