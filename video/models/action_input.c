/* Video -> model input clips (see action_input.h). */
#include "video/models/action_input.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "av/status.h"
#include "video/flow_tvl1.h"
#include "video/preprocess.h"

#define FLOW_BOUND 20.0f /* pixels; I3D's convention */

struct avs_action_input {
  const avs_action_base *b;
  int channels, span;
  int rgb, flow;         /* what the channels hold */
  int last;              /* real frames of the last clip read */
  avs_norm norm;
  avs_video *video;
  avs_clip_reader *reader;
  float *frames, *flows; /* (span, H, W, 3), (T, H, W, 2) */
  char *path;
};

int avs_action_input_open(const avs_action_model *m, const char *path, double fps, avs_action_input **out) {
  *out = NULL;
  int ch = avs_action_channels(m);
  if (ch != 2 && ch != 3 && ch != 5)
    return avs_seterr(AVS_EUNSUPPORTED, "model %s takes %d channels per frame; videos give RGB (3), flow (2) or both (5)",
                      m->arch->name, ch);
  avs_action_input *in = calloc(1, sizeof *in);
  if (!in) return avs_seterr(AVS_ENOMEM, "out of memory");
  in->b = avs_action_model_base(m);
  in->channels = ch, in->rgb = ch != 2, in->flow = ch != 3;
  in->span = in->b->frames + in->flow;
  int64_t px = (int64_t)in->b->height * in->b->width;
  int rc = avs_norm_preset(avs_action_model_norm(m), &in->norm);
  if (!rc && !(in->path = strdup(path))) rc = avs_seterr(AVS_ENOMEM, "out of memory");
  if (!rc) rc = avs_video_open(path, NULL, &in->video);
  if (!rc) {
    avs_clip_params cp = {.fps = fps, .norm = &in->norm,
                          .geom = {.width = in->b->width, .height = in->b->height,
                                   .short_side = (int)lround(in->b->height * 8.0 / 7.0), .fit = AVS_FIT_CROP}};
    if ((rc = avs_clip_reader_new(in->video, &cp, &in->reader))) rc = avs_errsuffix(rc, path);
  }
  if (!rc) {
    in->frames = malloc(sizeof(float) * in->span * px * 3);
    in->flows = in->flow ? malloc(sizeof(float) * in->b->frames * px * 2) : NULL;
    if (!in->frames || (in->flow && !in->flows)) rc = avs_seterr(AVS_ENOMEM, "out of memory");
  }
  if (rc) {
    avs_action_input_free(&in);
    return rc;
  }
  *out = in;
  return AVS_OK;
}

void avs_action_input_free(avs_action_input **pin) {
  if (!pin || !*pin) return;
  avs_action_input *in = *pin;
  avs_clip_reader_free(&in->reader);
  avs_video_free(&in->video);
  free(in->frames), free(in->flows), free(in->path), free(in);
  *pin = NULL;
}

double avs_action_input_fps(const avs_action_input *in) { return avs_clip_reader_fps(in->reader); }
const avs_video_info *avs_action_input_info(const avs_action_input *in) { return avs_video_info_get(in->video); }
int avs_action_input_span(const avs_action_input *in) { return in->span; }
int64_t avs_action_input_numel(const avs_action_input *in) {
  return (int64_t)in->b->frames * in->b->height * in->b->width * in->channels;
}

int avs_action_input_read(avs_action_input *in, double t0, float *x) {
  int n = avs_clip_read(in->reader, t0, in->span, 1, in->frames);
  if (n == AVS_ENOTFOUND) return 0;
  if (n < 0) return avs_errsuffix(n, in->path);
  in->last = n;
  const avs_action_base *b = in->b;
  int64_t px = (int64_t)b->height * b->width, pixels = (int64_t)b->frames * px;
  if (in->flow) {
    int rc = avs_flow_tvl1_clip(in->frames, in->span, b->width, b->height, &in->norm, NULL, in->flows);
    if (rc) return rc;
    avs_flow_scale(in->flows, pixels * 2, FLOW_BOUND);
  }
  int ch = in->channels;
  for (int64_t i = 0; i < pixels; i++) {
    float *o = x + i * ch;
    int k = 0;
    if (in->rgb) o[k++] = in->frames[i * 3], o[k++] = in->frames[i * 3 + 1], o[k++] = in->frames[i * 3 + 2];
    if (in->flow) o[k++] = in->flows[i * 2], o[k++] = in->flows[i * 2 + 1];
  }
  return n;
}

double avs_action_input_motion(const avs_action_input *in) {
  if (in->last < 2) return 0;
  int64_t px = (int64_t)in->b->height * in->b->width;
  double sum = 0;
  for (int f = 1; f < in->last; f++) {
    const float *a = in->frames + (f - 1) * px * 3, *b = in->frames + f * px * 3;
    for (int64_t i = 0; i < px * 3; i++) sum += fabsf(b[i] - a[i]) * in->norm.std[i % 3];
  }
  return sum / in->norm.scale / 255.0 / ((double)(in->last - 1) * px * 3);
}

int avs_action_input_load(const avs_action_model *m, const char *path, double where, float *x) {
  avs_action_input *in = NULL;
  /* at the rate the model was trained at, when it records one (as avact classify) */
  int rc = avs_action_input_open(m, path, avs_action_model_fps(m), &in);
  if (rc) return rc;
  double fps = avs_action_input_fps(in), duration = avs_action_input_info(in)->duration;
  double free_span = duration > 0 ? duration - in->span / fps : 0;
  double t0 = free_span > 0 ? where * free_span : 0;
  int n = avs_action_input_read(in, t0, x);
  if (n == 0) n = avs_seterr(AVS_ENOTFOUND, "no video frames (%s)", path);
  avs_action_input_free(&in);
  return n;
}

int avs_action_input_cached(const avs_action_model *m, const char *path, double where, float **slot, float *x) {
  const avs_action_base *b = avs_action_model_base(m);
  size_t bytes = sizeof(float) * b->frames * b->height * b->width * avs_action_channels(m);
  if (slot && *slot) {
    memcpy(x, *slot, bytes);
    return AVS_OK;
  }
  int n = avs_action_input_load(m, path, where, x);
  if (n < 0) return n;
  if (slot) {
    if (!(*slot = malloc(bytes))) return avs_seterr(AVS_ENOMEM, "out of memory for the clip cache");
    memcpy(*slot, x, bytes);
  }
  return AVS_OK;
}
