/* avact classify: the actions in a video. Clips as the model sees them
 * (video/models/action_input.h) run through the model one at a time, and their
 * class probabilities are averaged: over --clips clips spread evenly over the
 * video, or reported per consecutive segment with --segments. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "apps/avact/avact.h"
#include "apps/common/cli.h"
#include "apps/common/progress.h"
#include "apps/common/verbose.h"
#include "av/avs.h"
#include "av/datadir.h"
#include "video/models/action_input.h"
#include "video/models/labels.h"

#define DEFAULT_MODEL "models/action.safetensors"
/* An answer is doubtful (one warning line) when its top probability is below
 * LOW_TOP, or when the sampled frames barely change: a mean absolute frame
 * difference below STILL_MOTION (pixel values in [0, 1]; a frozen picture
 * measures ~0, the slowest motions of the benchmark ~0.001). */
#define LOW_TOP 0.5
#define STILL_MOTION 0.0002
#define STR_(x) #x
#define STR(x) STR_(x)

static const char *usage =
    "Usage: avact classify [options] VIDEO...\n"
    "Classifies the actions in each VIDEO with an action-recognition model file (see\n"
    "'avact info'): the top classes over the whole video (probabilities averaged over\n"
    "--clips clips spread evenly), or per consecutive segment with --segments.\n"
    "A video shorter than the model's clip has its last frame repeated (with a warning).\n"
    "Frames are sampled at the rate the model was trained at (its 'fps' metadata), else\n"
    "at the video's own rate; --fps overrides. A warning says when an answer is doubtful:\n"
    "a top probability below " STR(LOW_TOP) ", or no motion in the sampled frames (mean absolute\n"
    "frame difference below " STR(STILL_MOTION) " of full scale).\n"
    "The shipped model knows only the 12 synthetic motions of 'avdata synth --kind actions'\n"
    "(translate_left/right/up/down, rotate_cw/ccw, zoom_in/out, bounce, shake, orbit_cw/ccw)\n"
    "at 8 fps: it names one of them for any video, real actions included.";

typedef struct {
  avs_action_model *m;
  const avs_action_base *b;
  avs_action_input *in;
  int in_frames;          /* video frames per clip: T, or T + 1 for flow models */
  float *x;               /* one clip (T, H, W, channels) */
  avs_ctx *ctx;
  int n_low, n_still;     /* doubtful answers (see LOW_TOP) and motionless clips so far */
  double motion;          /* summed motion of the clips read */
} classifier;

typedef struct {
  int index;
  float p;
} scored;

static int by_score(const void *a, const void *b) {
  float d = ((const scored *)b)->p - ((const scored *)a)->p;
  return d > 0 ? 1 : d < 0 ? -1 : ((const scored *)a)->index - ((const scored *)b)->index;
}

/* Class probabilities of the clip in c->x, added into acc. */
static void run_clip(classifier *c, double *acc) {
  const avs_action_base *b = c->b;
  avs_ctx_reset(c->ctx);
  avs_tensor *x = avs_ctx_wrap(c->ctx, c->x, 5, AVS_SHAPE(1, b->frames, b->height, b->width, avs_action_channels(c->m)));
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

/* Reads one clip at t0 (AVS_CLIP_CONTINUE: go on) into c->x; returns the
 * real frames read (0 at the end of the video when going on). */
static int read_clip(classifier *c, double t0) {
  int n = avs_action_input_read(c->in, t0, c->x);
  if (n < 0) app_fail_status(n);
  if (n) c->motion += avs_action_input_motion(c->in);
  return n;
}

/* Counts an answer (motion: its clips' mean) towards the doubtful ones. */
static void judge(classifier *c, const scored *top, double motion) {
  app_verbose_line("mean frame difference %.3g, top probability %.3f", motion, top[0].p);
  c->n_low += top[0].p < LOW_TOP;
  c->n_still += motion < STILL_MOTION;
}

/* One warning line when answers were doubtful; NULL when none. The text is
 * also put in the JSON output. what: "the video" or "segments". */
static const char *doubts(const classifier *c, int answers, bool segments, char *buf, size_t size) {
  if (!c->n_low && !c->n_still) return NULL;
  if (segments)
    snprintf(buf, size, "%d of %d segments show no motion and %d of %d have a top probability below %g: "
             "their answers are likely meaningless (see 'avact classify --help')", c->n_still, answers, c->n_low,
             answers, LOW_TOP);
  else
    snprintf(buf, size, "%s%s%s: the answer is likely meaningless (see 'avact classify --help')",
             c->n_still ? "no motion in the sampled frames" : "", c->n_still && c->n_low ? " and " : "",
             c->n_low ? "the top probability is below " STR(LOW_TOP) : "");
  app_warn("%s", buf);
  return buf;
}

static void warn_short(int got, const classifier *c, double fps) {
  app_warn("the video has only %d frame%s at %.3g fps but the model takes %d: the last frame is repeated", got,
           got == 1 ? "" : "s", fps, c->in_frames);
}

typedef struct {
  const char *model;
  char **labels;           /* NULL: class numbers are printed */
  int topk, n_clips;
  float fps;
  bool json, segments;
} classify_opts;

static cJSON *classify_video(const classify_opts *o, avs_action_model *m, const char *path);

static void print_json(const cJSON *j) {
  char *s = cJSON_Print(j);
  if (!s) app_fail("out of memory");
  printf("%s\n", s);
  free(s);
}

int avact_classify(int argc, char **argv) {
  const char *model = NULL, *labels_path = NULL;
  int topk = 5, n_clips = 5;
  float fps = 0;
  bool json = false, segments = false;
  const app_opt opts[] = {
      {"model", 'm', APP_STRING, &model, "action model file (default: the shipped data/" DEFAULT_MODEL ")", 0, 0},
      {"labels", 'l', APP_STRING, &labels_path,
       "class names: a file (one per line, in class order), kinetics400 or ucf101 (default: the model's own, else by class count)", 0, 0},
      {"topk", 'k', APP_INT, &topk, "classes to print", 1, 1000},
      {"clips", 'c', APP_INT, &n_clips, "clips spread over the video, probabilities averaged", 1, 1000},
      {"segments", 's', APP_FLAG, &segments, "classify each consecutive segment of the model's length instead", 0, 0},
      {"fps", 0, APP_FLOAT, &fps, "sampling rate of the frames; 0: the model's training rate, else the video's own", 0, 1000},
      {"json", 0, APP_FLAG, &json, "print the result as JSON on stdout", 0, 0},
      APP_PRECISION_OPT,
      {0},
  };
  const char **pos = malloc(sizeof *pos * (argc > 0 ? argc : 1)); /* any number of videos */
  if (!pos) app_fail("out of memory");
  int n = app_parse(argc, argv, 1, opts, usage, pos, argc, 1);
  char *shipped_model = NULL;
  if (!model && avs_data_path(DEFAULT_MODEL, &shipped_model))
    app_fail("no model given (-m FILE) and %s", avs_errmsg());
  if (!model) model = shipped_model;

  classifier c = {0};
  c.m = avact_model_open(model, false, NULL);
  app_verbose_model(c.m, model);
  c.b = avs_action_model_base(c.m);
  int classes = c.b->classes;
  if (topk > classes) topk = classes;
  char **labels = NULL; /* NULL: class numbers are printed */
  int n_labels = 0, rc;
  if (labels_path) {
    if ((rc = avs_labels_load(labels_path, classes, &labels))) app_fail_status(rc);
    n_labels = classes;
  } else if ((rc = avs_action_model_labels(c.m, &labels, &n_labels)) && rc != AVS_ENOTFOUND) {
    app_fail_status(rc);
  }
  classify_opts o = {model, labels, topk, n_clips, fps, json, segments};
  cJSON *all = json && n > 1 ? cJSON_CreateArray() : NULL;
  int failed = 0;
  for (int i = 0; i < n; i++) {
    cJSON *out = classify_video(&o, c.m, pos[i]);
    if (!out) failed++;
    else if (all) cJSON_AddItemToArray(all, out), out = NULL;
    else if (json) print_json(out);
    cJSON_Delete(out);
  }
  if (all) print_json(all);
  cJSON_Delete(all);
  free(pos);
  avs_labels_free(&labels, n_labels);
  free(shipped_model);
  avs_model_free(&c.m);
  return failed ? APP_EXIT_FAILURE : 0;
}

/* One video: its result printed (text) or returned (the JSON object, also
 * returned with text, to be freed); NULL after its error line. */
static cJSON *classify_video(const classify_opts *o, avs_action_model *m, const char *path) {
  const char *model = o->model;
  char **labels = o->labels;
  int topk = o->topk, n_clips = o->n_clips;
  float fps = o->fps;
  bool json = o->json, segments = o->segments;
  classifier c = {.m = m, .b = avs_action_model_base(m)};
  int classes = c.b->classes;
  double want = fps > 0 ? fps : avs_action_model_fps(c.m);
  int rc = avs_action_input_open(c.m, path, want, &c.in);
  if (rc) {
    app_error("%s", avs_errmsg()[0] ? avs_errmsg() : avs_strerror(rc));
    return NULL;
  }
  c.in_frames = avs_action_input_span(c.in);
  double rate = avs_action_input_fps(c.in);
  app_verbose_video(path, avs_action_input_info(c.in));
  app_verbose_line("sampling at %.3g fps (%s)", rate, fps > 0 ? "--fps" : want > 0 ? "the model's training rate"
                   : "the video's own: the model records no training rate");
  c.x = malloc(sizeof(float) * avs_action_input_numel(c.in));
  c.ctx = avs_ctx_new(&(avs_ctx_params){.train = false});
  double *acc = calloc((size_t)classes, sizeof *acc);
  scored *top = malloc(sizeof *top * topk);
  if (!c.x || !c.ctx || !acc || !top) app_fail("out of memory");

  cJSON *out = cJSON_CreateObject();
  cJSON_AddStringToObject(out, "video", path);
  cJSON_AddStringToObject(out, "model", model);
  cJSON_AddStringToObject(out, "arch", c.m->arch->name);
  cJSON_AddNumberToObject(out, "fps", rate);
  int done = 0;
  if (segments) {
    cJSON *segs = cJSON_AddArrayToObject(out, "segments");
    double duration = avs_action_input_info(c.in)->duration;
    int64_t expected = duration > 0 ? (int64_t)ceil(duration * rate / c.in_frames) : 0;
    app_progress pr;
    app_progress_start(&pr, "segments", expected);
    for (;;) {
      double motion = c.motion;
      int n = read_clip(&c, done ? AVS_CLIP_CONTINUE : 0.0);
      if (!n) break;
      if (!done && !json)
        printf("%s: %s, segments of %d frames at %.3g fps\n", path, c.m->arch->name, c.in_frames, rate);
      if (n < c.in_frames && !done) warn_short(n, &c, rate);
      memset(acc, 0, sizeof *acc * classes);
      run_clip(&c, acc);
      top_k(acc, classes, 1.0, topk, top);
      judge(&c, top, c.motion - motion);
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
      done++;
      if (done <= expected) app_progress_update(&pr, done);
      if (n < c.in_frames) break; /* the video's end: a short last segment counts */
    }
    app_progress_end(&pr);
  } else {
    double *starts = malloc(sizeof *starts * n_clips);
    if (!starts) app_fail("out of memory");
    int n_starts = n_clips;
    if (avs_clip_starts(avs_action_input_info(c.in), rate, n_clips, c.in_frames, 1, starts)) starts[0] = 0, n_starts = 1;
    int fewest = c.in_frames;
    for (int i = 0; i < n_starts; i++) {
      if (i && starts[i] <= starts[i - 1]) continue; /* a video shorter than a clip: all start at 0 */
      int n = read_clip(&c, starts[i]);
      if (!n) continue;
      if (n < fewest) fewest = n;
      run_clip(&c, acc);
      done++;
    }
    free(starts);
    if (fewest < c.in_frames) warn_short(fewest, &c, rate);
    if (done) {
      top_k(acc, classes, 1.0 / done, topk, top);
      judge(&c, top, c.motion / done);
      cJSON_AddNumberToObject(out, "clips", done);
      cJSON_AddItemToObject(out, "top", json_top(top, topk, labels));
      if (!json) {
        printf("%s: %s, %d clip%s of %d frames at %.3g fps\n", path, c.m->arch->name, done, done == 1 ? "" : "s",
               c.in_frames, rate);
        print_top(top, topk, labels, "  ");
      }
    }
  }
  char why[256];
  const char *doubt = done ? doubts(&c, segments ? done : 1, segments, why, sizeof why) : NULL;
  if (doubt) cJSON_AddStringToObject(out, "warning", doubt);
  free(top), free(acc), free(c.x);
  avs_ctx_free(&c.ctx);
  avs_action_input_free(&c.in);
  if (!done) {
    app_error("no video frames to classify (%s)", path);
    cJSON_Delete(out);
    return NULL;
  }
  return out;
}
