/* The registry of every architecture (nn/archs.def) and hyperparameter
 * parsing (see model.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "av/status.h"
#include "nn/model.h"

#define AVS_ARCH(n) extern const avs_arch avs_arch_##n;
#include "nn/archs.def"
#undef AVS_ARCH

static const avs_arch *const archs[] = {
#define AVS_ARCH(n) &avs_arch_##n,
#include "nn/archs.def"
#undef AVS_ARCH
};

static const char *const kind_names[AVS_KIND_COUNT] = {"action", "separation", "localization", "speech"};

const char *avs_model_kind_name(avs_model_kind kind) {
  return kind >= 0 && kind < AVS_KIND_COUNT ? kind_names[kind] : "unknown";
}

int avs_arch_count(void) { return (int)(sizeof archs / sizeof archs[0]); }

const avs_arch *avs_arch_at(int i) { return i >= 0 && i < avs_arch_count() ? archs[i] : NULL; }

const avs_arch *avs_arch_find(const char *name, int kind) {
  char known[768] = "";
  size_t len = 0;
  for (int i = 0; i < avs_arch_count(); i++) {
    if (kind >= 0 && (int)archs[i]->kind != kind) continue;
    if (name && !strcmp(archs[i]->name, name)) return archs[i];
    int k = snprintf(known + len, sizeof known - len, "%s%s", len ? ", " : "", archs[i]->name);
    if (k > 0 && (size_t)k < sizeof known - len) len += (size_t)k;
  }
  avs_seterr(AVS_ENOTFOUND, "unknown %s%sarchitecture '%s' (known: %s)", kind >= 0 ? avs_model_kind_name(kind) : "",
             kind >= 0 ? " model " : "model ", name ? name : "(none)", known);
  return NULL;
}

static const avs_hparam *find_hparam(const avs_arch *a, const char *key) {
  for (int i = 0; i < a->n_hparams; i++)
    if (!strcmp(a->hparams[i].key, key)) return &a->hparams[i];
  return NULL;
}

int avs_cfg_set(const avs_arch *a, void *cfg, const char *key, const char *value) {
  const avs_hparam *h = find_hparam(a, key);
  if (!h) return avs_seterr(AVS_EINVAL, "%s has no hyperparameter '%s'", a->name, key);
  char *field = (char *)cfg + h->offset, *end = NULL;
  errno = 0;
  switch (h->type) {
  case AVS_HP_INT: {
    long v = strtol(value, &end, 10);
    if (end == value || *end || errno) break;
    int lo = h->min || h->max ? h->min : AVS_HP_INT_MIN, hi = h->min || h->max ? h->max : AVS_HP_INT_MAX;
    if (v < lo || v > hi)
      return avs_seterr(AVS_EINVAL, "%s hyperparameter '%s': %ld is out of range [%d, %d]", a->name, key, v, lo, hi);
    *(int *)field = (int)v;
    return AVS_OK;
  }
  case AVS_HP_FLOAT: {
    float v = strtof(value, &end);
    if (end == value || *end || errno || !isfinite(v)) break;
    *(float *)field = v;
    return AVS_OK;
  }
  case AVS_HP_BOOL:
    if (!strcmp(value, "true") || !strcmp(value, "1")) *(bool *)field = true;
    else if (!strcmp(value, "false") || !strcmp(value, "0")) *(bool *)field = false;
    else break;
    return AVS_OK;
  }
  return avs_seterr(AVS_EINVAL, "%s hyperparameter '%s': bad value '%s'", a->name, key, value);
}

int avs_cfg_get(const avs_arch *a, const void *cfg, const char *key, char *buf, size_t size) {
  const avs_hparam *h = find_hparam(a, key);
  if (!h) return avs_seterr(AVS_EINVAL, "%s has no hyperparameter '%s'", a->name, key);
  const char *field = (const char *)cfg + h->offset;
  switch (h->type) {
  case AVS_HP_INT: snprintf(buf, size, "%d", *(const int *)field); break;
  case AVS_HP_FLOAT: snprintf(buf, size, "%.9g", *(const float *)field); break;
  case AVS_HP_BOOL: snprintf(buf, size, "%s", *(const bool *)field ? "true" : "false"); break;
  }
  return AVS_OK;
}

int avs_cfg_parse(const avs_arch *a, void *cfg, const char *list) {
  char *copy = strdup(list), *save = NULL;
  if (!copy) return avs_seterr(AVS_ENOMEM, "out of memory");
  int rc = AVS_OK;
  for (char *kv = strtok_r(copy, ",", &save); kv && !rc; kv = strtok_r(NULL, ",", &save)) {
    char *eq = strchr(kv, '=');
    if (!eq) {
      rc = avs_seterr(AVS_EINVAL, "'%s' is not KEY=VALUE", kv);
      break;
    }
    *eq = 0;
    rc = avs_cfg_set(a, cfg, kv, eq + 1);
  }
  free(copy);
  return rc;
}
