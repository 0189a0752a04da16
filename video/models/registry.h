/* The action-recognition kind of the model layer (nn/model.h): its task
 * descriptor and typed wrappers.
 *
 * HOW TO ADD AN ACTION ARCHITECTURE (one file, video/models/<arch>.c, plus the
 * line AVS_ARCH(<arch>) in nn/archs.def):
 *
 *   1. Its hyperparameters, starting with the common ones:
 *        typedef struct { avs_action_base base; int my_width; float dropout; } avs_myarch_cfg;
 *   2. Two functions that read like the paper's layer table:
 *        int avs_myarch_declare(avs_params *p, const avs_myarch_cfg *cfg);
 *            declares every tensor (parameters AND buffers such as running_mean)
 *            with its PyTorch state_dict name and shape, so converted
 *            checkpoints load unchanged (avs_unit_* in nn/unit.h does conv/BN pairs);
 *        avs_tensor *avs_myarch_forward(avs_ctx *ctx, const avs_params *p,
 *                                       const avs_myarch_cfg *cfg, avs_tensor *clip);
 *            clip (N, T, H, W, channels) channels-last -> logits (N, classes);
 *            returns NULL with avs_seterr on failure (ops propagate NULL).
 *   3. The descriptor:
 *        static const avs_myarch_cfg myarch_default = {.base = {.classes = 400,
 *            .frames = 16, .height = 112, .width = 112}, .my_width = 64};
 *        static const avs_hparam myarch_hparams[] = {
 *            AVS_ACTION_BASE_HPARAMS(avs_myarch_cfg),
 *            AVS_HP(avs_myarch_cfg, my_width, AVS_HP_INT, "channels of the first layer"),
 *        };
 *        AVS_ACTION_ARCH_GLUE(myarch, avs_myarch_cfg)
 *        const avs_arch avs_arch_myarch = {
 *            .name = "myarch", .title = "MyArch (Doe et al., CVPR 2020)",
 *            AVS_ACTION_TASK(myarch, "kinetics", 3),
 *            AVS_ARCH_FIELDS(myarch, avs_myarch_cfg, myarch_default, myarch_hparams)};
 *
 * Action model files may also carry their class names as metadata "labels"
 * (one per line, in class order; avtrain writes them) and the input
 * normalisation they were trained with as "norm" (a preset name, overriding
 * the architecture's) and the frame rate their clips were sampled at as "fps"
 * (avtrain writes the training set's rate); all are kept on load. */
#ifndef AVS_MODELS_REGISTRY_H
#define AVS_MODELS_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "av/ctx.h"
#include "av/params.h"
#include "nn/model.h"

/* Every action cfg struct starts with this (a cfg pointer is also a base pointer). */
typedef struct {
  int classes;          /* logits per clip */
  int frames;           /* T of the clip the model is made for */
  int height, width;    /* H, W of each frame */
} avs_action_base;

/* Bounds far above any trained model (Kinetics-700, 64-frame clips, 4K frames)
 * but small enough that no product of them overflows an int64 shape. */
#define AVS_ACTION_MAX_CLASSES 100000
#define AVS_ACTION_MAX_FRAMES 1024
#define AVS_ACTION_MAX_SIDE 4096

#define AVS_ACTION_BASE_HPARAMS(type)                                                                      \
  AVS_HP_RANGE("classes", type, base.classes, 1, AVS_ACTION_MAX_CLASSES, "number of classes"),             \
  AVS_HP_RANGE("frames", type, base.frames, 1, AVS_ACTION_MAX_FRAMES, "frames per clip (T)"),              \
  AVS_HP_RANGE("height", type, base.height, 1, AVS_ACTION_MAX_SIDE, "frame height (H)"),                  \
  AVS_HP_RANGE("width", type, base.width, 1, AVS_ACTION_MAX_SIDE, "frame width (W)")

/* The action kind's descriptor (avs_arch.task). */
typedef struct {
  const char *norm;        /* input normalisation preset (video/preprocess.h avs_norm_preset) */
  int channels;            /* per-frame input channels: 3 = RGB; 2 = TV-L1 flow; 5 = RGB then flow
                              (dx, dy) towards the next frame (two-stream) */
  avs_tensor *(*forward)(avs_ctx *ctx, const avs_params *p, const void *cfg, avs_tensor *clip);
} avs_action_task;

/* Classes, frames, height and width positive (avs_arch.check of every action model). */
int avs_action_base_check(const avs_arch *a, const void *cfg);

#define AVS_ACTION_ARCH_GLUE(arch, cfgtype)                                                     \
  AVS_ARCH_DECLARE_GLUE(arch, cfgtype)                                                          \
  static avs_tensor *arch##_forward_any(avs_ctx *ctx, const avs_params *p, const void *cfg,     \
                                        avs_tensor *clip) {                                     \
    return avs_##arch##_forward(ctx, p, (const cfgtype *)cfg, clip);                            \
  }
#define AVS_ACTION_TASK(arch, norm_preset, in_channels)                                         \
  .kind = AVS_KIND_ACTION, .check = avs_action_base_check,                                      \
  .task = &(const avs_action_task){.norm = (norm_preset), .channels = (in_channels),            \
                                   .forward = arch##_forward_any}

/* An action model is a model of the action kind. */
typedef avs_arch avs_action_arch;
typedef avs_model avs_action_model;

static inline const avs_action_task *avs_action_task_of(const avs_arch *a) { return a->task; }
static inline int avs_action_channels(const avs_model *m) { return avs_action_task_of(m->arch)->channels; }

/* ---- the action architectures of the registry ---- */
int avs_action_arch_count(void);
const avs_arch *avs_action_arch_at(int i);
/* NULL + AVS_ENOTFOUND (the message lists the known names) when unknown. */
const avs_arch *avs_action_arch_find(const char *name);

/* ---- action models ---- */
/* A model with zeroed tensors; cfg NULL means the architecture's default. */
int avs_action_model_new(const char *arch, const void *cfg, avs_model **out);
/* An action model file (labels and norm kept); when want_arch is not NULL the
 * file must be that architecture. */
int avs_action_model_load(const char *path, avs_model **out);
int avs_action_model_load_arch(const char *path, const char *want_arch, avs_model **out);
const avs_action_base *avs_action_model_base(const avs_model *m);
/* The input normalisation preset: the file's "norm", else the architecture's. */
const char *avs_action_model_norm(const avs_model *m);
/* The frame rate the model was trained at (metadata "fps"), 0 when the file
 * does not say (then clips are sampled at each video's own rate). */
double avs_action_model_fps(const avs_model *m);

/* clip (N, T, H, W, channels) -> logits (N, classes). Checks the clip's rank
 * and channels, then runs the architecture's forward (in eval mode with batch
 * norms folded into the convolutions before them, see nn/fold.h). */
avs_tensor *avs_action_model_forward(avs_ctx *ctx, const avs_model *m, avs_tensor *clip);

#endif
