/* Private to video/: turning decoded frames upright. Phones store portrait
 * video as landscape frames plus a display matrix (or, in older files, a
 * "rotate" tag) that says how to turn them; decode.c applies it to every
 * frame so that the rest of the library only ever sees the picture as it is
 * meant to be shown, at its displayed size. */
#ifndef AVS_VIDEO_ORIENT_PRIV_H
#define AVS_VIDEO_ORIENT_PRIV_H

#include <stdbool.h>

#include <libavformat/avformat.h>

/* An orientation: the displayed frame's pixel (x, y) is the decoded frame's
 * (x, y), or (y, x) with AVS_ORIENT_TRANSPOSE, then mirrored in x and/or y of
 * the decoded frame. 0 is upright; the 8 values are the rotations by 90
 * degrees, each with or without a mirror. */
enum { AVS_ORIENT_FLIP_Y = 1, AVS_ORIENT_FLIP_X = 2, AVS_ORIENT_TRANSPOSE = 4 };

/* The orientation a stream's display matrix (or legacy rotate tag) asks for,
 * as FFmpeg's own player applies it; 0 for none or for an angle that is not a
 * multiple of 90 degrees. */
int avs_orient_of_stream(const AVStream *st);
/* For people: the clockwise turn (0, 90, 180, 270) and whether the turned
 * picture is then mirrored left to right. */
void avs_orient_describe(int orient, int *degrees_cw, bool *mirrored);

/* Scratch state of the frame turner (a converter for pixel formats that
 * cannot be turned as they are). */
typedef struct avs_orienter avs_orienter;
void avs_orienter_free(avs_orienter **o);
/* Replaces *f by its turned copy (same pixel format where it can be turned
 * plane by plane, else 8-bit YUV 4:4:4 or RGB). *o is created on first use. */
int avs_orient_frame(avs_orienter **o, AVFrame *f, int orient);

#endif
