/* Live input: a V4L2 camera through libavdevice, or a stand-in that behaves
 * like one (a video file or an FFmpeg lavfi source paced at real time, late
 * frames dropped), so live apps run where no camera exists.
 *
 * The result is an avs_video: read it with a clip reader (video/clip.h) using
 * AVS_CLIP_CONTINUE; it cannot seek. */
#ifndef AVS_VIDEO_CAMERA_H
#define AVS_VIDEO_CAMERA_H

#include <stdbool.h>

#include "video/decode.h"

typedef struct {
  int width, height; /* capture size asked of a camera; 0: its default */
  double fps;        /* capture rate asked of a camera; 0: its default */
  bool once;         /* stand-in file: stop at its end instead of looping */
} avs_camera_params;

/* spec:
 *   "/dev/videoN", "v4l2:/dev/videoN"  a V4L2 camera
 *   "lavfi:GRAPH"                      an FFmpeg source, e.g. "lavfi:testsrc2=size=320x240:rate=25"
 *   anything else                      a video file, played at real time, looping
 * p may be NULL. */
int avs_camera_open(const char *spec, const avs_camera_params *p, avs_video **out);

#endif
