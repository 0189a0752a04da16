/* Action-recognition models: one registry of architectures, self-describing
 * model files.
 *
 * HOW TO ADD AN ARCHITECTURE (one file per architecture, video/models/<arch>.c):
 *
 *   1. Its hyperparameters, starting with the common ones:
 *        typedef struct { avs_action_base base; int my_width; float dropout; } avs_myarch_cfg;
 *   2. Two functions that read like the paper's layer table:
 *        int avs_myarch_declare(avs_params *p, const avs_myarch_cfg *cfg);
 *            declares every tensor (parameters AND buffers such as running_mean)
 *            with its PyTorch state_dict name and shape, so converted
 *            checkpoints load unchanged (avs_unit_* in unit.h does conv/BN pairs);
 *        avs_tensor *avs_myarch_forward(avs_ctx *ctx, const avs_params *p,
 *                                       const avs_myarch_cfg *cfg, avs_tensor *clip);
 *            clip (N, T, H, W, channels) channels-last -> logits (N, classes);
 *            returns NULL with avs_seterr on failure (ops propagate NULL).
 *   3. A descriptor at file scope, written EXACTLY so (the line must start with
 *      "const avs_action_arch avs_arch_"): video/models/CMakeLists.txt scans
 *      every video/models .c file for such lines and generates the table this registry
 *      reads, so nothing else has to be edited (an unreferenced object in a
 *      static library would otherwise be dropped by the linker):
 *
 *        static const avs_myarch_cfg myarch_default = {.base = {.classes = 400,
 *            .frames = 16, .height = 112, .width = 112}, .my_width = 64};
 *        static const avs_hparam myarch_hparams[] = {
 *            AVS_ACTION_BASE_HPARAMS(avs_myarch_cfg),
 *            AVS_HP(avs_myarch_cfg, my_width, AVS_HP_INT, "channels of the first layer"),
 *        };
 *        AVS_ACTION_ARCH_GLUE(myarch, avs_myarch_cfg)
 *        const avs_action_arch avs_arch_myarch = {
 *            .name = "myarch", .title = "MyArch (Doe et al., CVPR 2020)",
 *            .norm = "kinetics", .channels = 3,
 *            AVS_ACTION_ARCH_FIELDS(myarch, avs_myarch_cfg, myarch_default, myarch_hparams)};
 *
 *      The descriptor's name is the model file's avs.arch. Several
 *      descriptors may share one file (r3d_18, mc3_18, r2plus1d_18).
 *
 * Model files: safetensors with the state_dict tensors and metadata avs.arch,
 * avs.version and every hyperparameter of the table as a string ("16", "0.5",
 * "true"). Loading reads the hyperparameters first (absent keys keep the
 * architecture's default, so a converted torchvision file needs at most
 * --meta classes=N), declares the table, then avs_params_load checks every
 * name and shape. A file may also carry its class names as metadata "labels"
 * (one per line, in class order; avtrain writes them) and the input
 * normalisation it was trained with as "norm" (a preset name, overriding the
 * architecture's), both kept on load. */
#ifndef AVS_MODELS_REGISTRY_H
#define AVS_MODELS_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "av/ctx.h"
#include "av/params.h"

/* Every cfg struct starts with this (a cfg pointer is also a base pointer). */
typedef struct {
  int classes;          /* logits per clip */
  int frames;           /* T of the clip the model is made for */
  int height, width;    /* H, W of each frame */
} avs_action_base;

typedef enum { AVS_HP_INT, AVS_HP_FLOAT, AVS_HP_BOOL } avs_hparam_type;

/* One hyperparameter: a field of the cfg struct stored as metadata `key`. */
typedef struct {
  const char *key;
  avs_hparam_type type;  /* int, float, bool */
  size_t offset;         /* offsetof(cfg type, field) */
  const char *help;
} avs_hparam;

#define AVS_HP_KEY(key, type, field, kind, help) {key, kind, offsetof(type, field), help}
#define AVS_HP(type, field, kind, help) AVS_HP_KEY(#field, type, field, kind, help)
#define AVS_ACTION_BASE_HPARAMS(type)                                              \
  AVS_HP_KEY("classes", type, base.classes, AVS_HP_INT, "number of classes"),      \
  AVS_HP_KEY("frames", type, base.frames, AVS_HP_INT, "frames per clip (T)"),      \
  AVS_HP_KEY("height", type, base.height, AVS_HP_INT, "frame height (H)"),         \
  AVS_HP_KEY("width", type, base.width, AVS_HP_INT, "frame width (W)")

typedef struct avs_action_arch {
  const char *name;        /* avs.arch, e.g. "c3d" */
  const char *title;       /* one line: model and paper */
  const char *norm;        /* input normalisation preset (video/preprocess.h avs_norm_preset) */
  int channels;            /* per-frame input channels: 3 = RGB; 5 = RGB then TV-L1 flow (dx, dy)
                              towards the next frame (two-stream) */
  size_t cfg_size;
  const void *cfg_default; /* starts with avs_action_base */
  const avs_hparam *hparams;
  int n_hparams;
  int (*declare)(avs_params *p, const void *cfg);
  avs_tensor *(*forward)(avs_ctx *ctx, const avs_params *p, const void *cfg, avs_tensor *clip);
} avs_action_arch;

/* Typed-to-void adapters for the descriptor (declare/forward keep their typed signatures). */
#define AVS_ACTION_ARCH_GLUE(arch, cfgtype)                                                     \
  static int arch##_declare_any(avs_params *p, const void *cfg) {                               \
    return avs_##arch##_declare(p, (const cfgtype *)cfg);                                       \
  }                                                                                             \
  static avs_tensor *arch##_forward_any(avs_ctx *ctx, const avs_params *p, const void *cfg,     \
                                        avs_tensor *clip) {                                     \
    return avs_##arch##_forward(ctx, p, (const cfgtype *)cfg, clip);                            \
  }
#define AVS_ACTION_ARCH_FIELDS(arch, cfgtype, dflt, hp)                                         \
  .cfg_size = sizeof(cfgtype), .cfg_default = &(dflt), .hparams = (hp),                         \
  .n_hparams = (int)(sizeof(hp) / sizeof((hp)[0])), .declare = arch##_declare_any,              \
  .forward = arch##_forward_any

/* ---- the registry ---- */
int avs_action_arch_count(void);
const avs_action_arch *avs_action_arch_at(int i);
/* NULL + AVS_ENOTFOUND (the message lists the known names) when unknown. */
const avs_action_arch *avs_action_arch_find(const char *name);

/* Hyperparameters of a cfg by key: parse value into the field (AVS_EINVAL for an
 * unknown key or a malformed value), or format the field into buf. */
int avs_action_cfg_set(const avs_action_arch *a, void *cfg, const char *key, const char *value);
int avs_action_cfg_get(const avs_action_arch *a, const void *cfg, const char *key, char *buf, size_t size);
/* "key=value,key=value" through avs_action_cfg_set (AVS_EINVAL names the bad item). */
int avs_action_cfg_parse(const avs_action_arch *a, void *cfg, const char *list);

/* ---- a model: architecture, hyperparameters, tensors ---- */
typedef struct avs_action_model {
  const avs_action_arch *arch;
  void *cfg;               /* arch->cfg_size bytes, starts with avs_action_base */
  avs_params params;       /* params.arch = arch->name; hyperparameters in params' metadata */
  struct avs_fold_cache *fold; /* eval-mode conv+BN folding (fold.h), selected during forward */
} avs_action_model;

/* A model with zeroed tensors; cfg NULL means the architecture's default. */
int avs_action_model_new(const char *arch, const void *cfg, avs_action_model **out);
/* Reads avs.arch and the hyperparameters from the file's metadata, declares the
 * table and loads it with every name and shape checked. When `want_arch` is not
 * NULL the file must be that architecture. */
int avs_action_model_load(const char *path, avs_action_model **out);
int avs_action_model_load_arch(const char *path, const char *want_arch, avs_action_model **out);
int avs_action_model_save(const avs_action_model *m, const char *path);
/* Fresh weights for training from scratch, deterministic in seed (init.c says
 * which tensor gets which PyTorch initialiser). */
int avs_action_model_init(avs_action_model *m, uint64_t seed);
void avs_action_model_free(avs_action_model **m);
const avs_action_base *avs_action_model_base(const avs_action_model *m);
/* The input normalisation preset: the file's "norm", else the architecture's. */
const char *avs_action_model_norm(const avs_action_model *m);

/* clip (N, T, H, W, arch->channels) -> logits (N, classes). Checks the clip's
 * rank and channels, then runs the architecture's forward (in eval mode with
 * batch norms folded into the convolutions before them, see fold.h). */
avs_tensor *avs_action_model_forward(avs_ctx *ctx, const avs_action_model *m, avs_tensor *clip);

#endif
