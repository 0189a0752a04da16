/* Models of any kind: make, load, save (see model.h). */
#include <stdlib.h>
#include <string.h>

#include "av/status.h"
#include "nn/fold.h"
#include "nn/model.h"

void avs_model_free(avs_model **m) {
  if (!m || !*m) return;
  avs_params_free(&(*m)->params);
  avs_fold_cache_free(&(*m)->fold);
  free((*m)->cfg);
  free(*m);
  *m = NULL;
}

int avs_model_new_from(const avs_arch *a, const void *cfg, avs_model **out) {
  *out = NULL;
  if (!cfg) cfg = a->cfg_default;
  int rc = AVS_OK;
  avs_model *m = calloc(1, sizeof *m);
  if (!m || !(m->cfg = malloc(a->cfg_size))) {
    free(m);
    return avs_seterr(AVS_ENOMEM, "out of memory");
  }
  m->arch = a;
  memcpy(m->cfg, cfg, a->cfg_size);
  avs_params_init(&m->params, a->name);
  if (!(m->fold = avs_fold_cache_new())) {
    rc = avs_errcode();
    goto fail;
  }
  if (a->check && (rc = a->check(a, m->cfg))) goto fail;
  char value[64];
  for (int i = 0; i < a->n_hparams; i++) {
    avs_cfg_get(a, m->cfg, a->hparams[i].key, value, sizeof value);
    if ((rc = avs_params_set_meta(&m->params, a->hparams[i].key, value))) goto fail;
  }
  if ((rc = a->declare(&m->params, m->cfg))) goto fail;
  *out = m;
  return AVS_OK;
fail:
  avs_model_free(&m);
  return rc;
}

int avs_model_new(const char *arch, const void *cfg, avs_model **out) {
  *out = NULL;
  const avs_arch *a = avs_arch_find(arch, -1);
  return a ? avs_model_new_from(a, cfg, out) : avs_errcode();
}

static const char *kind_phrase(avs_model_kind k) {
  static const char *const phrase[AVS_KIND_COUNT] = {"an action-recognition", "a separation", "a localization",
                                                     "a speech-separation"};
  return k < AVS_KIND_COUNT ? phrase[k] : "an unknown";
}

int avs_model_load(const char *path, int kind, const char *want_arch, const char *const *kept, avs_model **out) {
  *out = NULL;
  avs_st *st = NULL;
  void *cfg = NULL;
  avs_model *m = NULL;
  int rc = avs_st_open(path, &st);
  if (rc) return rc;
  const char *name = avs_st_meta(st, "avs.arch");
  const avs_arch *a = NULL;
  if (!name) {
    rc = avs_seterr(AVS_EFORMAT, "%s: no avs.arch in metadata (convert PyTorch files with tools/pth2st.py --arch)",
                    path);
    goto done;
  }
  if (!(a = avs_arch_find(name, -1))) {
    rc = avs_seterr(AVS_EUNSUPPORTED, "%s: unknown architecture '%s'", path, name);
    goto done;
  }
  if (kind >= 0 && (int)a->kind != kind) {
    rc = avs_seterr(AVS_EINVAL, "%s: %s model (%s), not %s model", path, kind_phrase(a->kind), name,
                    kind_phrase((avs_model_kind)kind));
    goto done;
  }
  if (want_arch && strcmp(name, want_arch)) {
    rc = avs_seterr(AVS_EINVAL, "%s: model is architecture '%s', expected '%s'", path, name, want_arch);
    goto done;
  }
  if (!(cfg = malloc(a->cfg_size))) {
    rc = avs_seterr(AVS_ENOMEM, "out of memory");
    goto done;
  }
  memcpy(cfg, a->cfg_default, a->cfg_size);
  for (int i = 0; i < a->n_hparams; i++) {
    const char *v = avs_st_meta(st, a->hparams[i].key);
    if (v && (rc = avs_cfg_set(a, cfg, a->hparams[i].key, v))) {
      rc = avs_errprefix(AVS_EFORMAT, path);
      goto done;
    }
  }
  if ((rc = avs_model_new_from(a, cfg, &m))) {
    rc = avs_errprefix(rc, path);
    goto done;
  }
  if ((rc = avs_params_load_st(&m->params, st, path))) goto done;
  for (int i = 0; kept && kept[i]; i++) {
    const char *v = avs_st_meta(st, kept[i]);
    if (v && (rc = avs_params_set_meta(&m->params, kept[i], v))) goto done;
  }
  *out = m;
  m = NULL;
done:
  avs_model_free(&m);
  free(cfg);
  avs_st_close(&st);
  return rc;
}

int avs_model_save(const avs_model *m, const char *path) { return avs_params_save(&m->params, path); }

avs_tensor **avs_model_trainable(const avs_model *m, int *n) {
  avs_tensor **t = malloc(sizeof *t * (m->params.n ? m->params.n : 1));
  *n = 0;
  if (!t) {
    avs_seterr(AVS_ENOMEM, "out of memory");
    return NULL;
  }
  for (int i = 0; i < m->params.n; i++)
    if (m->params.t[i]->requires_grad) t[(*n)++] = m->params.t[i];
  return t;
}

struct avs_fold_cache *avs_model_select_fold(avs_ctx *ctx, const avs_model *m) { return avs_ctx_swap_fold(ctx, m->fold); }
