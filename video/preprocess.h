/* Frame preprocessing for video models: geometry (resize the shorter side and
 * centre-crop, letterbox, or stretch) and per-model normalisation into float
 * RGB, channels-last (H, W, 3).
 *
 * Geometry runs inside swscale straight from the decoder's pixel format
 * (bilinear, anti-aliased when shrinking), so a 1080p frame is never expanded
 * to RGB at full size when a 112x112 crop is wanted. */
#ifndef AVS_VIDEO_PREPROCESS_H
#define AVS_VIDEO_PREPROCESS_H

#include <stdint.h>

#include "video/decode.h"

/* value = (pixel * scale - mean[c]) / std[c], pixel in 0..255, channels R, G, B. */
typedef struct {
  float scale;
  float mean[3], std[3];
} avs_norm;

/* Presets:
 *   raw      0..255 (also "c3d": C3D takes raw pixel values)
 *   unit     [0, 1]
 *   kinetics torchvision's video models (R3D, MC3, R(2+1)D): [0,1] then
 *            mean (0.43216, 0.394666, 0.37645), std (0.22803, 0.22145, 0.216989)
 *   imagenet [0,1] then mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225)
 *   i3d      [-1, 1] (x / 127.5 - 1)
 * AVS_EINVAL for an unknown name (the message lists the known ones). */
int avs_norm_preset(const char *name, avs_norm *out);
/* "raw, c3d, unit, kinetics, imagenet, i3d": for help texts. */
const char *avs_norm_preset_names(void);
/* n_px pixels of interleaved RGB24 to normalised floats, and back (rounded, clamped). */
void avs_norm_apply(const avs_norm *n, const uint8_t *rgb, int64_t n_px, float *out);
void avs_norm_invert(const avs_norm *n, const float *in, int64_t n_px, uint8_t *rgb);

typedef enum {
  AVS_FIT_CROP = 0,   /* scale so the shorter side is short_side (or just covers the box), centre crop */
  AVS_FIT_LETTERBOX,  /* scale to fit inside the box keeping the aspect ratio, pad with black */
  AVS_FIT_STRETCH,    /* scale to the box, aspect ratio ignored */
} avs_fit;

typedef struct {
  int width, height;  /* the output box; 0 x 0: the (possibly resized) frame itself */
  int short_side;     /* CROP, or with a 0 x 0 box: resize the shorter side to this first
                         (torchvision's 128 -> crop 112, I3D's 256 -> crop 224); 0: no extra margin */
  avs_fit fit;
} avs_geom;

/* How a src_w x src_h frame becomes the output: scaled to scaled_w x scaled_h,
 * then placed with its top-left corner at (off_x, off_y) of the out_w x out_h
 * output (negative offsets crop, positive ones pad). */
typedef struct {
  int out_w, out_h;
  int scaled_w, scaled_h;
  int off_x, off_y;
} avs_geom_plan;

/* AVS_EINVAL for a bad geometry or source size. */
int avs_geom_plan_for(const avs_geom *g, int src_w, int src_h, avs_geom_plan *p);
/* "crop", "letterbox", "stretch" -> avs_fit; AVS_EINVAL otherwise. */
int avs_fit_parse(const char *name, avs_fit *out);

/* A frame converter: keeps the swscale context and scratch buffers between frames. */
typedef struct avs_prep avs_prep;

/* norm NULL means raw. The output size is fixed by the first frame converted
 * (or by avs_prep_set_source); later frames of another size are scaled to it. */
int avs_prep_new(const avs_geom *g, const avs_norm *norm, avs_prep **out);
void avs_prep_free(avs_prep **p);
/* Fixes the output size from a source size before any frame is seen. */
int avs_prep_set_source(avs_prep *p, int src_w, int src_h);
void avs_prep_out_size(const avs_prep *p, int *w, int *h);
/* Converts the frame last returned by avs_video_next into rgb (out_w*out_h*3
 * bytes) and/or out (out_w*out_h*3 floats, normalised); either may be NULL. */
int avs_prep_frame(avs_prep *p, const avs_video *v, uint8_t *rgb, float *out);

#endif
