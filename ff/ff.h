/* Private to video/: the FFmpeg boundary. FFmpeg error codes become AVS_E*
 * codes with one readable line; FFmpeg's own log goes to avs_log at debug
 * level so a damaged file gives our one warning, not a page of decoder noise. */
#ifndef AVS_VIDEO_FF_UTIL_H
#define AVS_VIDEO_FF_UTIL_H

#include <libavutil/error.h>

/* Installs the FFmpeg log forwarding and registers devices (once per process). */
void avs_ff_init(void);
/* Maps an FFmpeg error to an AVS_E* code. */
int avs_ff_code(int fferr);
/* Sets the thread's error to "<what>: <FFmpeg's text> (<path>)" (no parentheses
 * when path is NULL) and returns the mapped code. */
int avs_ff_seterr(int fferr, const char *path, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Wall-clock seconds (monotonic). */
double avs_ff_now(void);

#endif
