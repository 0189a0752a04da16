/* Opening and probing an input, for audio tracks and videos alike: a wrong
 * path or a file that is not media gets the same code and line from both. */
#include "ff/ff.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>

#include "av/status.h"

/* A plainer line than FFmpeg's for the usual ways a local path is wrong. */
static int check_path(const char *path, const char *kind) {
  struct stat sb;
  if (stat(path, &sb) != 0) {
    if (errno == ENOENT) return avs_seterr(AVS_ENOTFOUND, "no such file (%s)", path);
    return avs_seterr(avs_errno_code(errno), "cannot open the %s: %s (%s)", kind, strerror(errno), path);
  }
  if (S_ISDIR(sb.st_mode)) return avs_seterr(AVS_EINVAL, "is a directory, not a %s (%s)", kind, path);
  if (S_ISREG(sb.st_mode) && sb.st_size == 0) return avs_seterr(AVS_EFORMAT, "empty file (%s)", path);
  return AVS_OK;
}

static int open_failed(int e, const char *url, const AVInputFormat *ifmt, bool local, const char *kind) {
  if (e == AVERROR_INVALIDDATA) return avs_seterr(AVS_EFORMAT, "not a %s FFmpeg can read (%s)", kind, url);
  int code = avs_ff_code(e);
  if (local && code != AVS_ENOMEM && e != AVERROR(EACCES) && e != AVERROR(EPERM)) {
    /* the file is there and not empty, so FFmpeg probed it and then refused it
     * (an impossible frame size, say): its content is at fault */
    char why[128];
    av_strerror(e, why, sizeof why);
    return avs_seterr(AVS_EFORMAT, "not a %s FFmpeg can read: %s (%s)", kind, why, url);
  }
  if (ifmt) return avs_ff_seterr(e, url, "cannot open the %s input", ifmt->name);
  return avs_ff_seterr(e, url, "cannot open the %s", kind);
}

int avs_ff_open_input(AVFormatContext **fmt, const char *url, const AVInputFormat *ifmt, AVDictionary **opts,
                      const char *kind) {
  *fmt = NULL;
  avs_ff_init();
  const bool local = !ifmt && !strstr(url, "://");
  int rc = local ? check_path(url, kind) : AVS_OK;
  if (rc) return rc;
  int e = avformat_open_input(fmt, url, ifmt, opts);
  if (e < 0) return open_failed(e, url, ifmt, local, kind);
  if ((e = avformat_find_stream_info(*fmt, NULL)) < 0) {
    char why[128];
    av_strerror(e, why, sizeof why);
    int code = avs_ff_code(e);
    avformat_close_input(fmt);
    return avs_seterr(code == AVS_EBACKEND ? AVS_EFORMAT : code, "cannot read the stream layout: %s (%s)", why, url);
  }
  return AVS_OK;
}
