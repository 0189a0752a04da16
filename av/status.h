/* Status codes, the thread-local error message, logging and assertions.
 * Library code never prints or exits: it returns a negative AVS_E* code and
 * leaves one human-readable line in avs_errmsg(). */
#ifndef AVS_STATUS_H
#define AVS_STATUS_H

#include <stdarg.h>

enum {
  AVS_OK = 0,
  AVS_EINVAL = -1,       /* bad argument or option value */
  AVS_ENOMEM = -2,       /* allocation failed */
  AVS_EIO = -3,          /* read/write/open failed */
  AVS_EFORMAT = -4,      /* malformed or truncated file */
  AVS_ESHAPE = -5,       /* tensor shapes do not fit */
  AVS_ENOTFOUND = -6,    /* missing file, stream, tensor or key */
  AVS_EUNSUPPORTED = -7, /* valid but not supported (codec, dtype, ...) */
  AVS_EBACKEND = -8,     /* oneDNN / FFmpeg / FFTW / PortAudio failure */
};

/* Short name of a status code ("invalid argument"). */
const char *avs_strerror(int code);

/* The last error message set on this thread ("" if none). */
const char *avs_errmsg(void);
/* The last error code set on this thread (AVS_OK if none). */
int avs_errcode(void);
/* Sets the thread's error and returns code, so `return avs_seterr(...)` reads well. */
int avs_seterr(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prefixes the thread's current message with "path: " and sets code; returns code. */
int avs_errprefix(int code, const char *path);
/* The same as a suffix: "message (path)", as the apps print a failing file. */
int avs_errsuffix(int code, const char *path);
void avs_clearerr(void);
/* Prefixes the thread's message with "<path>: " (or, when there is no message,
 * puts "<path>: " before avs_strerror(code)) and returns code: for a caller
 * that knows the file a failure came from when the callee did not. */
int avs_errprefix(int code, const char *path);
/* The same as a suffix: "message (path)", as the apps print a failing file. */
int avs_errsuffix(int code, const char *path);
/* The AVS_E* code for an errno value: ENOENT is AVS_ENOTFOUND, ENOMEM
 * AVS_ENOMEM, EINVAL AVS_EINVAL, ENOSYS/EOPNOTSUPP AVS_EUNSUPPORTED, any other
 * AVS_EIO. */
int avs_errno_code(int errnum);

typedef enum { AVS_LOG_ERROR = 0, AVS_LOG_WARN, AVS_LOG_INFO, AVS_LOG_DEBUG } avs_log_level;
typedef void (*avs_log_fn)(avs_log_level level, const char *msg, void *user);

/* Messages above `level` are dropped. Default: AVS_LOG_WARN. */
void avs_log_set_level(avs_log_level level);
avs_log_level avs_log_get_level(void);
/* Replace the sink (default: "avs: <level>: msg" on stderr). NULL restores it. */
void avs_log_set_callback(avs_log_fn fn, void *user);
void avs_log(avs_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Programmer errors only (impossible states): abort with file:line. */
void avs_assert_fail(const char *expr, const char *file, int line) __attribute__((__noreturn__));
#define AVS_ASSERT(cond) ((cond) ? (void)0 : avs_assert_fail(#cond, __FILE__, __LINE__))

#endif
