/* The model layer every task shares: architecture descriptors in one
 * registry, and models (an architecture, its hyperparameters, its named
 * tensors) that load from and save to self-describing safetensors files.
 *
 * An architecture has a kind (action recognition, separation, localization,
 * speech); each kind adds its own typed descriptor (`task`) with its forward
 * (clip -> logits for actions, spectrogram + frames -> masks for separation,
 * ...), and its own typed wrappers (video/models/registry.h, fusion/...).
 *
 * HOW TO ADD AN ARCHITECTURE: one source file that defines
 *     const avs_arch avs_arch_<name> = {.name = "<name>", ...};
 * (see video/models/c3d.c for an action model, fusion/sop.c for a separation
 * model) and one line AVS_ARCH(<name>) in nn/archs.def. Nothing else.
 *
 * Model files: safetensors whose tensors are the PyTorch state_dict and whose
 * metadata carry avs.arch, avs.version and every hyperparameter as a string
 * ("16", "0.5", "true"). Loading reads the hyperparameters first (absent keys
 * keep the architecture's default), declares the table, then checks every
 * tensor's name and shape. Other metadata a kind keeps (class names "labels",
 * input normalisation "norm", ...) are listed in the kind's `kept_meta`. */
#ifndef AVS_NN_MODEL_H
#define AVS_NN_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "av/ctx.h"
#include "av/params.h"
#include "nn/hparam.h"

typedef enum {
  AVS_KIND_ACTION,       /* clip -> class logits (video/models) */
  AVS_KIND_SEPARATION,   /* spectrogram + frames -> masks (fusion/) */
  AVS_KIND_LOCALIZATION, /* frames + audio -> heatmap (fusion/) */
  AVS_KIND_SPEECH,       /* faces + spectrogram -> complex masks (fusion/) */
  AVS_KIND_COUNT
} avs_model_kind;

/* "action", "separation", "localization", "speech". */
const char *avs_model_kind_name(avs_model_kind kind);

typedef struct avs_arch {
  const char *name;        /* avs.arch, e.g. "c3d", "sop" */
  const char *title;       /* one line: model and paper */
  avs_model_kind kind;
  const void *task;        /* the kind's descriptor (forward, input format) */
  size_t cfg_size;
  const void *cfg_default;
  const avs_hparam *hparams;
  int n_hparams;
  /* Checks the cfg (AVS_EINVAL naming the bad value) and declares every tensor
   * (parameters and buffers) under its PyTorch state_dict name and shape. */
  int (*declare)(avs_params *p, const void *cfg);
  /* Optional checks a kind shares (e.g. the action models' clip size), run
   * before declare. */
  int (*check)(const struct avs_arch *a, const void *cfg);
} avs_arch;

/* Fills the descriptor's cfg fields from a typed declare function
 * int avs_<arch>_declare(avs_params *, const cfgtype *). */
#define AVS_ARCH_DECLARE_GLUE(arch, cfgtype)                                                    \
  static int arch##_declare_any(avs_params *p, const void *cfg) {                               \
    return avs_##arch##_declare(p, (const cfgtype *)cfg);                                       \
  }
#define AVS_ARCH_FIELDS(arch, cfgtype, dflt, hp)                                                \
  .cfg_size = sizeof(cfgtype), .cfg_default = &(dflt), .hparams = (hp),                         \
  .n_hparams = (int)(sizeof(hp) / sizeof((hp)[0])), .declare = arch##_declare_any

/* ---- the registry (nn/archs.def lists every architecture) ---- */
int avs_arch_count(void);
const avs_arch *avs_arch_at(int i);
/* NULL + AVS_ENOTFOUND (the message lists the known names of that kind) when
 * unknown; kind < 0 accepts any kind. */
const avs_arch *avs_arch_find(const char *name, int kind);

/* Hyperparameters of a cfg by key: parse value into the field (AVS_EINVAL for
 * an unknown key, a malformed value or one out of bounds), or format it. */
int avs_cfg_set(const avs_arch *a, void *cfg, const char *key, const char *value);
int avs_cfg_get(const avs_arch *a, const void *cfg, const char *key, char *buf, size_t size);
/* "key=value,key=value" through avs_cfg_set (AVS_EINVAL names the bad item). */
int avs_cfg_parse(const avs_arch *a, void *cfg, const char *list);

/* ---- a model: architecture, hyperparameters, tensors ---- */
typedef struct avs_model {
  const avs_arch *arch;
  void *cfg;                   /* arch->cfg_size bytes */
  avs_params params;           /* params.arch = arch->name; hyperparameters in its metadata */
  struct avs_fold_cache *fold; /* eval-mode conv+BN folding (nn/fold.h) */
} avs_model;

/* A model with zeroed tensors; cfg NULL means the architecture's default. */
int avs_model_new(const char *arch, const void *cfg, avs_model **out);
int avs_model_new_from(const avs_arch *a, const void *cfg, avs_model **out);
/* Opens the file once: reads avs.arch and the hyperparameters, declares the
 * table, loads every tensor with names and shapes checked, keeps the metadata
 * listed in `kept` (NULL-terminated, may be NULL). The file must be of `kind`
 * (< 0: any) and, when want_arch is not NULL, of that architecture; the error
 * says what the file is ("a separation model (sop), not an action model"). */
int avs_model_load(const char *path, int kind, const char *want_arch, const char *const *kept, avs_model **out);
int avs_model_save(const avs_model *m, const char *path);
/* Fresh weights for training from scratch, deterministic in seed (nn/init.c
 * says which tensor gets which PyTorch initialiser). */
int avs_model_init(avs_model *m, uint64_t seed);
void avs_model_free(avs_model **m);
/* The trainable tensors (buffers such as running statistics excluded), in
 * declaration order; *n their count. Free the array with free(). */
avs_tensor **avs_model_trainable(const avs_model *m, int *n);

/* Puts the model's fold cache on ctx for an eval-mode forward; returns the
 * previous one, to be put back with avs_ctx_swap_fold. */
struct avs_fold_cache *avs_model_select_fold(avs_ctx *ctx, const avs_model *m);

#endif
