/* Clip sampling: frames at a requested rate, size and normalisation, read as
 * a stream (one frame at a time) or as clips of T frames (T, H, W, 3).
 *
 * Resampling to `fps` picks, for each sampling time t0 + k/fps, the decoded
 * frame whose timestamp is nearest: source frame round(k * src_fps / fps) on
 * a constant-rate video (FFmpeg's fps filter instead keeps the last frame that
 * rounds to each slot, up to half a slot later). Variable frame rates and gaps
 * are handled; frames are decoded in order and only the chosen ones converted. Memory is one clip plus the decoder's
 * reference frames, whatever the video's length.
 *
 *   avs_norm kin; avs_norm_preset("kinetics", &kin);
 *   avs_clip_params cp = {.fps = 8, .geom = {.width = 112, .height = 112, .short_side = 128}, .norm = &kin};
 *   avs_clip_reader *r; avs_clip_reader_new(v, &cp, &r);
 *   avs_tensor *clips;  avs_clip_read_evenly(r, 10, 16, 1, &clips);   // (10, 16, 112, 112, 3)
 */
#ifndef AVS_VIDEO_CLIP_H
#define AVS_VIDEO_CLIP_H

#include <stdint.h>

#include "av/tensor.h"
#include "video/decode.h"
#include "video/preprocess.h"

/* For avs_clip_read: go on from where the reader is, no seek (live sources). */
#define AVS_CLIP_CONTINUE (-1.0)

typedef struct {
  double fps;           /* sampling rate; 0: every decoded frame at its own time */
  avs_geom geom;        /* output size and fit; all zero: native size */
  const avs_norm *norm; /* NULL: raw 0..255 */
} avs_clip_params;

typedef struct avs_clip_reader avs_clip_reader;

/* The reader borrows v (which must outlive it) and takes over its decoding position. */
int avs_clip_reader_new(avs_video *v, const avs_clip_params *p, avs_clip_reader **out);
void avs_clip_reader_free(avs_clip_reader **r);
/* Output frame size (fixed by the video's size at creation). */
void avs_clip_reader_frame_size(const avs_clip_reader *r, int *w, int *h);
/* The effective sampling rate (fps, or the video's rate when fps is 0). */
double avs_clip_reader_fps(const avs_clip_reader *r);

/* The next sampled frame: out (H*W*3 floats, normalised) and/or rgb (H*W*3
 * bytes, before normalisation) may be NULL; t gets its sampling time (may be
 * NULL). Returns 1, 0 at the end, < 0 on error. */
int avs_clip_reader_next(avs_clip_reader *r, float *out, uint8_t *rgb, double *t);
/* The next frame sampled is the one at time t, then t + 1/fps, ... Going
 * forward by less than two seconds decodes on instead of seeking. */
int avs_clip_reader_seek(avs_clip_reader *r, double t);

/* T frames, every stride-th sampled frame, from time t0 (AVS_CLIP_CONTINUE: from
 * the current position) into out (T, H, W, 3). When the video ends first the
 * last frame is repeated. Returns the number of real frames (>= 1), or < 0:
 * AVS_ENOTFOUND when no frame exists at or after t0. */
int avs_clip_read(avs_clip_reader *r, double t0, int T, int stride, float *out);

/* Start times of n clips of T frames (stride) spread evenly over the video:
 * the first starts at 0, the last ends at the end (one clip: centred). Clips
 * overlap when the video is short. AVS_EUNSUPPORTED when the duration is unknown. */
int avs_clip_starts(const avs_video_info *info, double fps, int n, int T, int stride, double *starts);
/* n evenly spaced clips as a new tensor (n, T, H, W, 3) (free with avs_tensor_free). */
int avs_clip_read_evenly(avs_clip_reader *r, int n, int T, int stride, avs_tensor **out);

#endif
