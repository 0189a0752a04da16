/* A video written again with drawings on its frames and another sound: avsep's
 * per-source and active-speaker videos.
 *
 *   static void dim(void *user, avs_image *frame, double t) { ... avs_overlay_box(frame, ...); }
 *   if (avs_video_redraw("clip.mp4", tmp_path, voice, n, 16000, dim, &state)) fail(avs_errmsg());
 */
#ifndef AVS_VIDEO_REDRAW_H
#define AVS_VIDEO_REDRAW_H

#include <stdint.h>

#include "video/image.h"

/* Draws on one frame (RGB24, upright, at the video's displayed size) of time t seconds. */
typedef void (*avs_redraw_fn)(void *user, avs_image *frame, double t);

/* Writes path (MP4, MOV or MKV by its extension, encode.h) with every frame of
 * video, at its size and rate, passed through draw first (NULL: unchanged), and the n mono
 * samples at rate Hz as its sound (none when n is 0). On failure the
 * incomplete file is removed; path should be a temporary name renamed into
 * place afterwards (apps/common/output.h). */
int avs_video_redraw(const char *video, const char *path, const float *samples, int64_t n, int rate,
                     avs_redraw_fn draw, void *user);

#endif
