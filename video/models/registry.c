/* The action kind of the model layer (see registry.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "av/status.h"
#include "nn/fold.h"
#include "video/models/labels.h"
#include "video/models/registry.h"
#include "video/preprocess.h"

int avs_action_base_check(const avs_arch *a, const void *cfg) {
  const avs_action_base *b = cfg;
  if (b->classes < 1 || b->frames < 1 || b->height < 1 || b->width < 1)
    return avs_seterr(AVS_EINVAL, "%s: classes, frames, height and width must be positive (got %d, %d, %d, %d)",
                      a->name, b->classes, b->frames, b->height, b->width);
  return AVS_OK;
}

int avs_action_arch_count(void) {
  int n = 0;
  for (int i = 0; i < avs_arch_count(); i++) n += avs_arch_at(i)->kind == AVS_KIND_ACTION;
  return n;
}

const avs_arch *avs_action_arch_at(int k) {
  for (int i = 0; i < avs_arch_count(); i++)
    if (avs_arch_at(i)->kind == AVS_KIND_ACTION && k-- == 0) return avs_arch_at(i);
  return NULL;
}

const avs_arch *avs_action_arch_find(const char *name) { return avs_arch_find(name, AVS_KIND_ACTION); }

int avs_action_model_new(const char *arch, const void *cfg, avs_model **out) {
  *out = NULL;
  const avs_arch *a = avs_action_arch_find(arch);
  return a ? avs_model_new_from(a, cfg, out) : avs_errcode();
}

int avs_action_model_load_arch(const char *path, const char *want_arch, avs_model **out) {
  static const char *const kept[] = {"labels", "norm", "fps", NULL};
  int rc = avs_model_load(path, AVS_KIND_ACTION, want_arch, kept, out);
  avs_norm norm;
  if (!rc && avs_norm_preset(avs_action_model_norm(*out), &norm)) rc = avs_errprefix(AVS_EFORMAT, path);
  const char *fps = rc ? NULL : avs_params_get_meta(&(*out)->params, "fps");
  if (fps && !avs_action_model_fps(*out))
    rc = avs_seterr(AVS_EFORMAT, "%s: metadata fps '%.32s' is not a frame rate (a number in (0, 1000])", path, fps);
  if (!rc) rc = avs_action_model_check_labels(*out, path);
  if (rc) avs_model_free(out);
  return rc;
}

int avs_action_model_load(const char *path, avs_model **out) { return avs_action_model_load_arch(path, NULL, out); }

const avs_action_base *avs_action_model_base(const avs_model *m) { return m->cfg; }

const char *avs_action_model_norm(const avs_model *m) {
  const char *norm = avs_params_get_meta(&m->params, "norm");
  return norm ? norm : avs_action_task_of(m->arch)->norm;
}

double avs_action_model_fps(const avs_model *m) {
  const char *s = avs_params_get_meta(&m->params, "fps");
  char *end;
  double fps = s ? strtod(s, &end) : 0;
  return s && end != s && !*end && isfinite(fps) && fps > 0 && fps <= 1000 ? fps : 0;
}

avs_tensor *avs_action_model_forward(avs_ctx *ctx, const avs_model *m, avs_tensor *clip) {
  if (!clip) return NULL;
  int channels = avs_action_channels(m);
  if (clip->ndim != 5 || clip->shape[4] != channels) {
    char s[96];
    avs_seterr(AVS_ESHAPE, "%s expects a clip (N, T, H, W, %d), got %s", m->arch->name, channels,
               avs_shape_str(clip->ndim, clip->shape, s, sizeof s));
    return NULL;
  }
  avs_fold_cache *prev = avs_model_select_fold(ctx, m);
  avs_tensor *y = avs_action_task_of(m->arch)->forward(ctx, &m->params, m->cfg, clip);
  avs_ctx_swap_fold(ctx, prev);
  return y;
}
