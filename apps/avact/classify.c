/* avact classify: the actions in a video. Clips of the model's size are read
 * with its normalisation (resize the shorter side, centre crop), run through
 * the model one at a time, and their class probabilities averaged: over
 * --clips clips spread evenly over the video, or reported per consecutive
 * segment with --segments. Flow models (two-stream: RGB + flow; flow only)
 * get TV-L1 flow between consecutive frames, clipped to +-20 px and scaled
 * to [-1, 1]. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "apps/avact/avact.h"
#include "apps/common/cli.h"
#include "apps/common/datadir.h"
#include "av/avs.h"
#include "video/clip.h"
#include "video/decode.h"
#include "video/flow_tvl1.h"
#include "video/preprocess.h"

#define DEFAULT_MODEL "models/action.safetensors"
#define FLOW_BOUND 20.0f

static const char *usage =
    "Usage: avact classify [options] VIDEO\n"
    "Classifies the actions in VIDEO with an action-recognition model file (see\n"
    "'avact info'): the top classes over the whole video (probabilities averaged over\n"
    "--clips clips spread evenly), or per consecutive segment with --segments.\n"
    "A video shorter than the model's clip has its last frame repeated (with a warning).";

typedef struct {
  avs_action_model *m;
  const avs_action_base *b;
  int in_frames;          /* frames read per clip: T, or T + 1 for flow models */
  bool flow, rgb;         /* what the model's channels hold */
  float *frames, *flows;  /* (in_frames, H, W, 3), (T, H, W, 2) */
  avs_norm norm;
  avs_ctx *ctx;
} classifier;

typedef struct {
  int index;
  float p;
} scored;

static int by_score(const void *a, const void *b) {
  float d = ((const scored *)b)->p - ((const scored *)a)->p;
  return d > 0 ? 1 : d < 0 ? -1 : ((const scored *)a)->index - ((const scored *)b)->index;
}

/* Class probabilities of the clip in c->frames, added into acc. */
static void run_clip(classifier *c, double *acc) {
  const avs_action_base *b = c->b;
  int64_t px = (int64_t)b->height * b->width;
  int ch = c->m->arch->channels;
  if (c->flow) {
    if (avs_flow_tvl1_clip(c->frames, c->in_frames, b->width, b->height, &c->norm, NULL, c->flows))
      app_fail_status(avs_errcode());
    avs_flow_scale(c->flows, (int64_t)b->frames * px * 2, FLOW_BOUND);
  }
  avs_ctx_reset(c->ctx);
  avs_tensor *x = avs_ctx_tensor(c->ctx, 5, AVS_SHAPE(1, b->frames, b->height, b->width, ch));
  if (!x) app_fail_status(avs_errcode());
  for (int64_t i = 0; i < (int64_t)b->frames * px; i++) {
    float *o = x->data + i * ch;
    int k = 0;
    if (c->rgb) o[k++] = c->frames[i * 3], o[k++] = c->frames[i * 3 + 1], o[k++] = c->frames[i * 3 + 2];
    if (c->flow) o[k++] = c->flows[i * 2], o[k++] = c->flows[i * 2 + 1];
  }
  avs_tensor *p = avs_softmax(c->ctx, avs_action_model_forward(c->ctx, c->m, x));
  if (!p) app_fail_status(avs_errcode());
  for (int k = 0; k < b->classes; k++) acc[k] += p->data[k];
}

static void top_k(const double *acc, int classes, double scale, int k, scored *out) {
  scored *all = malloc(sizeof *all * classes);
  if (!all) app_fail("out of memory");
  for (int i = 0; i < classes; i++) all[i] = (scored){i, (float)(acc[i] * scale)};
  qsort(all, classes, sizeof *all, by_score);
  memcpy(out, all, sizeof *out * k);
  free(all);
}

static const char *label_of(char **labels, int i, char *buf, size_t size) {
  if (labels) return labels[i];
  snprintf(buf, size, "class %d", i);
  return buf;
}

static cJSON *json_top(const scored *top, int k, char **labels) {
  cJSON *arr = cJSON_CreateArray();
  char buf[32];
  for (int i = 0; i < k; i++) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "index", top[i].index);
    cJSON_AddStringToObject(o, "label", label_of(labels, top[i].index, buf, sizeof buf));
    cJSON_AddNumberToObject(o, "score", top[i].p);
    cJSON_AddItemToArray(arr, o);
  }
  return arr;
}

static void print_top(const scored *top, int k, char **labels, const char *indent) {
  char buf[32];
  for (int i = 0; i < k; i++) printf("%s%.4f  %s\n", indent, top[i].p, label_of(labels, top[i].index, buf, sizeof buf));
}

/* Reads one clip at t0 (AVS_CLIP_CONTINUE: go on) into c->frames; returns the
 * real frames read (0 at the end of the video when going on). */
static int read_clip(classifier *c, avs_clip_reader *r, double t0, const char *path) {
  int n = avs_clip_read(r, t0, c->in_frames, 1, c->frames);
  if (n == AVS_ENOTFOUND) return 0;
  if (n < 0) app_fail("%s (%s)", avs_errmsg(), path);
  return n;
}

static void warn_short(int got, const classifier *c, double fps) {
  app_warn("the video has only %d frame%s at %.3g fps but the model takes %d: the last frame is repeated", got,
           got == 1 ? "" : "s", fps, c->in_frames);
}

int avact_classify(int argc, char **argv) {
  const char *model = NULL, *labels_path = NULL, *pos[1];
  int topk = 5, n_clips = 5;
  float fps = 0;
  bool json = false, segments = false;
  const app_opt opts[] = {
      {"model", 'm', APP_STRING, &model, "action model file (default: the shipped data/" DEFAULT_MODEL ")", 0, 0},
      {"labels", 'l', APP_STRING, &labels_path,
       "class names, one per line in class order (default: Kinetics-400's for 400 classes, else numbers)", 0, 0},
      {"topk", 'k', APP_INT, &topk, "classes to print", 1, 1000},
      {"clips", 'c', APP_INT, &n_clips, "clips spread over the video, probabilities averaged", 1, 1000},
      {"segments", 's', APP_FLAG, &segments, "classify each consecutive segment of the model's length instead", 0, 0},
      {"fps", 0, APP_FLOAT, &fps, "sampling rate of the frames; 0: the video's own", 0, 1000},
      {"json", 0, APP_FLAG, &json, "print the result as JSON on stdout", 0, 0},
      {0},
  };
  app_parse(argc, argv, 1, opts, usage, pos, 1, 1);
  const char *path = pos[0];
  if (!model && !(model = app_data_path(DEFAULT_MODEL)))
    app_fail("no model given and none shipped (data/%s): give one with -m FILE", DEFAULT_MODEL);

  classifier c = {0};
  c.m = avact_model_open(model, false);
  c.b = avs_action_model_base(c.m);
  int ch = c.m->arch->channels;
  if (ch != 2 && ch != 3 && ch != 5)
    app_fail("model %s takes %d channels per frame; classify reads RGB (3), flow (2) or both (5) (%s)",
             c.m->arch->name, ch, model);
  c.rgb = ch != 2, c.flow = ch != 3;
  c.in_frames = c.b->frames + (c.flow ? 1 : 0);
  int classes = c.b->classes;
  if (topk > classes) topk = classes;
  char **labels = avact_labels_load(labels_path, classes, labels_path != NULL);
  if (avs_norm_preset(c.m->arch->norm, &c.norm)) app_fail_status(avs_errcode());

  avs_video *v = NULL;
  if (avs_video_open(path, NULL, &v)) app_fail_status(avs_errcode());
  avs_clip_params cp = {.fps = fps, .norm = &c.norm,
                        .geom = {.width = c.b->width, .height = c.b->height,
                                 .short_side = (int)lround(c.b->height * 8.0 / 7.0), .fit = AVS_FIT_CROP}};
  avs_clip_reader *r = NULL;
  if (avs_clip_reader_new(v, &cp, &r)) app_fail("%s (%s)", avs_errmsg(), path);
  double rate = avs_clip_reader_fps(r);
  int64_t px = (int64_t)c.b->height * c.b->width;
  c.frames = malloc(sizeof(float) * c.in_frames * px * 3);
  c.flows = c.flow ? malloc(sizeof(float) * c.b->frames * px * 2) : NULL;
  c.ctx = avs_ctx_new(&(avs_ctx_params){.train = false});
  double *acc = calloc((size_t)classes, sizeof *acc);
  scored *top = malloc(sizeof *top * topk);
  if (!c.frames || (c.flow && !c.flows) || !c.ctx || !acc || !top) app_fail("out of memory");

  cJSON *out = cJSON_CreateObject();
  cJSON_AddStringToObject(out, "video", path);
  cJSON_AddStringToObject(out, "model", model);
  cJSON_AddStringToObject(out, "arch", c.m->arch->name);
  cJSON_AddNumberToObject(out, "fps", rate);
  int done = 0;
  if (segments) {
    cJSON *segs = cJSON_AddArrayToObject(out, "segments");
    if (!json) printf("%s: %s, segments of %d frames at %.3g fps\n", path, c.m->arch->name, c.in_frames, rate);
    for (;; done++) {
      int n = read_clip(&c, r, done ? AVS_CLIP_CONTINUE : 0.0, path);
      if (!n) break;
      if (n < c.in_frames && !done) warn_short(n, &c, rate);
      memset(acc, 0, sizeof *acc * classes);
      run_clip(&c, acc);
      top_k(acc, classes, 1.0, topk, top);
      double t0 = done * c.in_frames / rate, t1 = t0 + n / rate;
      if (json) {
        cJSON *s = cJSON_CreateObject();
        cJSON_AddNumberToObject(s, "start", t0);
        cJSON_AddNumberToObject(s, "end", t1);
        cJSON_AddItemToObject(s, "top", json_top(top, topk, labels));
        cJSON_AddItemToArray(segs, s);
      } else {
        printf("[%8.2f - %8.2f s]\n", t0, t1);
        print_top(top, topk, labels, "  ");
      }
      if (n < c.in_frames) break;
    }
  } else {
    double *starts = malloc(sizeof *starts * n_clips);
    if (!starts) app_fail("out of memory");
    int n_starts = n_clips;
    if (avs_clip_starts(avs_video_info_get(v), rate, n_clips, c.in_frames, 1, starts)) starts[0] = 0, n_starts = 1;
    int fewest = c.in_frames;
    for (int i = 0; i < n_starts; i++) {
      if (i && starts[i] <= starts[i - 1]) continue; /* a video shorter than a clip: all start at 0 */
      int n = read_clip(&c, r, starts[i], path);
      if (!n) continue;
      if (n < fewest) fewest = n;
      run_clip(&c, acc);
      done++;
    }
    free(starts);
    if (fewest < c.in_frames) warn_short(fewest, &c, rate);
    if (done) {
      top_k(acc, classes, 1.0 / done, topk, top);
      cJSON_AddNumberToObject(out, "clips", done);
      cJSON_AddItemToObject(out, "top", json_top(top, topk, labels));
      if (!json) {
        printf("%s: %s, %d clip%s of %d frames at %.3g fps\n", path, c.m->arch->name, done, done == 1 ? "" : "s",
               c.in_frames, rate);
        print_top(top, topk, labels, "  ");
      }
    }
  }
  if (!done) app_fail("no video frames to classify (%s)", path);
  if (json) {
    char *s = cJSON_Print(out);
    printf("%s\n", s);
    free(s);
  }
  cJSON_Delete(out);
  free(top), free(acc), free(c.frames), free(c.flows);
  avs_ctx_free(&c.ctx);
  avs_clip_reader_free(&r);
  avs_video_free(&v);
  avact_labels_free(labels, classes);
  avs_action_model_free(&c.m);
  return 0;
}
