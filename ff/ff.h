/* Private to audio/ and video/: the FFmpeg boundary, one for both so that the
 * same failure reads the same from either. FFmpeg error codes become AVS_E*
 * codes with one readable line; FFmpeg's own log goes to avs_log at debug
 * level so a damaged file gives our one warning, not a page of decoder noise;
 * inputs are opened and probed by one function. Not installed: it includes
 * FFmpeg's headers. */
#ifndef AVS_FF_H
#define AVS_FF_H

#include <libavformat/avformat.h>

/* Installs the FFmpeg log forwarding and registers devices, once per process
 * whichever library gets there first. Call before any other FFmpeg call. */
void avs_ff_init(void);
/* Maps an FFmpeg error (an AVERROR(errno) or an AVERROR_* code) to an AVS_E* code. */
int avs_ff_code(int fferr);
/* Sets the thread's error to "<what>: <FFmpeg's text> (<path>)" (no parentheses
 * when path is NULL) and returns the mapped code. */
int avs_ff_seterr(int fferr, const char *path, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Opens url for demuxing and reads its stream layout (avformat_open_input and
 * avformat_find_stream_info). A local path (no ifmt, no "scheme://") is
 * checked first so that the usual mistakes read plainly: missing
 * (AVS_ENOTFOUND), a directory (AVS_EINVAL), empty (AVS_EFORMAT), unreadable
 * (AVS_EIO); a local file FFmpeg does not take is AVS_EFORMAT "not a <kind>
 * FFmpeg can read". kind names what the caller wants ("video file", "media
 * file"). opts may be NULL; what is left in it was not used. On failure *fmt
 * is NULL and the message names url. */
int avs_ff_open_input(AVFormatContext **fmt, const char *url, const AVInputFormat *ifmt, AVDictionary **opts,
                      const char *kind);

#endif
