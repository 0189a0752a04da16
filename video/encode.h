/* Writing videos: H.264 (libx264) frames from RGB, optionally with an AAC
 * audio track from float samples, into MP4, MOV or MKV (chosen by the file's
 * extension). avloc and avsep write their results with this.
 *
 *   avs_video_writer *w;
 *   avs_writer_params wp = {.width = 224, .height = 224, .fps = 25, .sample_rate = 16000, .channels = 1};
 *   if (avs_video_writer_open(tmp_path, &wp, &w)) fail(avs_errmsg());
 *   for (...) avs_video_writer_write(w, rgb);              // width*height*3 bytes
 *   avs_video_writer_write_audio(w, samples, n);           // interleaved floats in [-1, 1]
 *   if (avs_video_writer_close(&w)) fail(avs_errmsg());    // finishes the file
 *
 * Video and audio may be given in any order and any amounts; the muxer
 * interleaves them. Odd frame sizes are padded to even (H.264 4:2:0) by
 * repeating the last column/row. */
#ifndef AVS_VIDEO_ENCODE_H
#define AVS_VIDEO_ENCODE_H

#include <stdbool.h>
#include <stdint.h>

#include "video/preprocess.h"

typedef struct {
  int width, height;  /* frame size in pixels */
  double fps;         /* frame rate (stored as a rational, e.g. 29.97 -> 30000/1001) */
  int crf;            /* x264 constant rate factor 1..51; 0: 20 */
  bool lossless;      /* x264 lossless (crf 0), for tests */
  const char *preset; /* x264 preset; NULL: "veryfast" */
  int sample_rate;    /* audio track sample rate; 0: no audio */
  int channels;       /* audio channels, 1..8 */
  int audio_bitrate;  /* bits/s; 0: 64 kbit/s per channel */
} avs_writer_params;

typedef struct avs_video_writer avs_video_writer;

/* Creates path (a temporary name from the app: see apps/common/output.h).
 * AVS_EUNSUPPORTED for an extension whose container cannot hold H.264. */
int avs_video_writer_open(const char *path, const avs_writer_params *p, avs_video_writer **out);
/* One frame of width*height RGB24 pixels. */
int avs_video_writer_write(avs_video_writer *w, const uint8_t *rgb);
/* One frame of width*height*3 floats, normalised as norm says (NULL: 0..255). */
int avs_video_writer_write_float(avs_video_writer *w, const float *rgb, const avs_norm *norm);
/* n sample frames of interleaved float audio (channels values each). */
int avs_video_writer_write_audio(avs_video_writer *w, const float *samples, int64_t n);
/* Flushes the encoders, writes the trailer, closes the file and frees w.
 * Returns 0 or the first error met (the file is then incomplete). */
int avs_video_writer_close(avs_video_writer **w);
/* Abandons the file: frees w and removes the incomplete file. */
void avs_video_writer_free(avs_video_writer **w);
int64_t avs_video_writer_frames(const avs_video_writer *w);

#endif
