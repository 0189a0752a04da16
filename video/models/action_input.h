/* What an action model sees of a video: clips of the model's T frames at its
 * size and normalisation (shorter side resized to 8/7 of the model's height,
 * centre crop, as Kinetics evaluation does), packed into its channels: RGB,
 * TV-L1 flow towards the next frame (clipped to +-20 px, scaled to [-1, 1]),
 * or RGB then flow (two-stream). Shared by avact classify, avtrain and aveval
 * so that training and use see the same input.
 *
 *   avs_action_input *in; avs_action_input_open(model, "clip.mp4", 0, &in);
 *   float *x = malloc(avs_action_input_numel(in) * sizeof *x);
 *   int n = avs_action_input_read(in, 0.0, x);   // x: (T, H, W, channels) */
#ifndef AVS_MODELS_ACTION_INPUT_H
#define AVS_MODELS_ACTION_INPUT_H

#include <stdint.h>

#include "video/clip.h"
#include "video/decode.h"
#include "video/models/registry.h"

typedef struct avs_action_input avs_action_input;

/* Opens path for model m (which must outlive the reader). fps 0 samples the
 * video at its own rate. Errors name the file. */
int avs_action_input_open(const avs_action_model *m, const char *path, double fps, avs_action_input **out);
void avs_action_input_free(avs_action_input **in);

double avs_action_input_fps(const avs_action_input *in);
const avs_video_info *avs_action_input_info(const avs_action_input *in);
/* Video frames one clip takes: T, or T + 1 for flow models. */
int avs_action_input_span(const avs_action_input *in);
/* Floats of one clip: T * H * W * channels. */
int64_t avs_action_input_numel(const avs_action_input *in);

/* The clip starting at t0 (AVS_CLIP_CONTINUE: where the last one ended) into x.
 * Returns the real video frames it holds (1..span; when fewer than span the
 * last frame is repeated), 0 when no frame exists at or after t0, < 0 on error. */
int avs_action_input_read(avs_action_input *in, double t0, float *x);
/* Motion in the last clip read: the mean absolute difference between its
 * consecutive real frames, in pixel values scaled to [0, 1] (0 for a frozen
 * picture or a single frame; a moving scene gives a few hundredths). */
double avs_action_input_motion(const avs_action_input *in);

/* One clip of a video in one call (training, scoring): opens path at the
 * model's training rate (avs_action_model_fps; the video's own when it records
 * none, as while it trains), reads the
 * clip starting at `where` (0..1) of the span of possible starts (0: the
 * first frame, 0.5: centred, 1: ending at the last frame), closes. Returns
 * the real frames read (>= 1) or < 0 (AVS_ENOTFOUND: no frames). */
int avs_action_input_load(const avs_action_model *m, const char *path, double where, float *x);
/* As avs_action_input_load, through a cache slot when `slot` is not NULL: an
 * empty slot is loaded and keeps a malloc'ed copy (free it), a full one is
 * copied out (then `where` is the first load's). Returns AVS_OK or < 0. */
int avs_action_input_cached(const avs_action_model *m, const char *path, double where, float **slot, float *x);

#endif
