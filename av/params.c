/* A model's parameter table and its load/save against safetensors files. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "av/params.h"
#include "av/status.h"

#ifndef AVS_VERSION_STRING
#define AVS_VERSION_STRING "0"
#endif

void avs_params_init(avs_params *p, const char *arch) {
  memset(p, 0, sizeof *p);
  p->arch = strdup(arch ? arch : "");
}

void avs_params_free(avs_params *p) {
  for (int i = 0; i < p->n; i++) {
    free((char *)p->t[i]->name);
    avs_tensor_free(&p->t[i]);
  }
  for (int i = 0; i < p->n_meta; i++) {
    free(p->meta_keys[i]);
    free(p->meta_values[i]);
  }
  free(p->meta_keys);
  free(p->meta_values);
  free(p->t);
  free(p->arch);
  memset(p, 0, sizeof *p);
}

avs_tensor *avs_params_find(const avs_params *p, const char *name) {
  for (int i = 0; i < p->n; i++)
    if (!strcmp(p->t[i]->name, name)) return p->t[i];
  return NULL;
}

avs_tensor *avs_params_add(avs_params *p, const char *name, int ndim, const int64_t *shape) {
  if (avs_params_find(p, name)) {
    avs_seterr(AVS_EINVAL, "parameter '%s' declared twice", name);
    return NULL;
  }
  if (p->n == p->cap) {
    int cap = p->cap ? 2 * p->cap : 64;
    avs_tensor **t = realloc(p->t, sizeof *t * cap);
    if (!t) goto oom;
    p->t = t;
    p->cap = cap;
  }
  avs_tensor *t = avs_tensor_new(ndim, shape);
  if (!t) return NULL;
  if (!(t->name = strdup(name))) {
    avs_tensor_free(&t);
    goto oom;
  }
  p->t[p->n++] = t;
  return t;
oom:
  avs_seterr(AVS_ENOMEM, "out of memory");
  return NULL;
}

int avs_params_set_meta(avs_params *p, const char *key, const char *value) {
  for (int i = 0; i < p->n_meta; i++)
    if (!strcmp(p->meta_keys[i], key)) {
      char *v = strdup(value);
      if (!v) return avs_seterr(AVS_ENOMEM, "out of memory");
      free(p->meta_values[i]);
      p->meta_values[i] = v;
      return AVS_OK;
    }
  char **k = realloc(p->meta_keys, sizeof *k * (p->n_meta + 1));
  if (!k) return avs_seterr(AVS_ENOMEM, "out of memory");
  p->meta_keys = k;
  char **v = realloc(p->meta_values, sizeof *v * (p->n_meta + 1));
  if (!v) return avs_seterr(AVS_ENOMEM, "out of memory");
  p->meta_values = v;
  k[p->n_meta] = strdup(key);
  v[p->n_meta] = strdup(value);
  if (!k[p->n_meta] || !v[p->n_meta]) {
    free(k[p->n_meta]);
    free(v[p->n_meta]);
    return avs_seterr(AVS_ENOMEM, "out of memory");
  }
  p->n_meta++;
  return AVS_OK;
}

const char *avs_params_get_meta(const avs_params *p, const char *key) {
  for (int i = 0; i < p->n_meta; i++)
    if (!strcmp(p->meta_keys[i], key)) return p->meta_values[i];
  return NULL;
}

int64_t avs_params_numel(const avs_params *p) {
  int64_t n = 0;
  for (int i = 0; i < p->n; i++) n += p->t[i]->numel;
  return n;
}

int avs_params_load(avs_params *p, const char *path) {
  avs_st *st = NULL;
  int rc = avs_st_open(path, &st);
  if (rc) return rc;
  rc = avs_params_load_st(p, st, path);
  avs_st_close(&st);
  return rc;
}

/* A NaN or Inf weight makes every output NaN (or garbage): refuse the file
 * rather than print "nan" probabilities. */
static int check_finite(const avs_st *st, const avs_tensor *t, const char *path) {
  int ndim;
  int64_t shape[AVS_MAX_DIMS];
  const float *data;
  avs_st_get(st, t->name, &ndim, shape, &data); /* checked by the caller */
  for (int64_t k = 0; k < t->numel; k++)
    if (!isfinite(data[k]))
      return avs_seterr(AVS_EFORMAT, "%s: tensor '%s' holds %s at element %lld (a damaged or diverged model)", path,
                        t->name, isnan(data[k]) ? "NaN" : "Inf", (long long)k);
  return AVS_OK;
}

int avs_params_load_st(avs_params *p, const avs_st *st, const char *path) {
  int rc;
  const char *arch = avs_st_meta(st, "avs.arch");
  if (!arch) {
    rc = avs_seterr(AVS_EFORMAT, "%s: no avs.arch in metadata (convert PyTorch files with tools/pth2st.py)", path);
    return rc;
  }
  if (strcmp(arch, p->arch)) {
    rc = avs_seterr(AVS_EFORMAT, "%s: model is architecture '%s', expected '%s'", path, arch, p->arch);
    return rc;
  }
  char want[96], got[96];
  for (int i = 0; i < p->n; i++) {
    avs_tensor *t = p->t[i];
    int ndim;
    int64_t shape[AVS_MAX_DIMS];
    const float *data;
    if ((rc = avs_st_get(st, t->name, &ndim, shape, &data))) return rc; /* names file + tensor */
    if (ndim != t->ndim || memcmp(shape, t->shape, sizeof(int64_t) * ndim)) {
      rc = avs_seterr(AVS_ESHAPE, "%s: tensor '%s' has shape %s, expected %s", path, t->name,
                      avs_shape_str(ndim, shape, got, sizeof got), avs_shape_str(t->ndim, t->shape, want, sizeof want));
      return rc;
    }
  }
  for (int i = 0; i < avs_st_count(st); i++)
    if (!avs_params_find(p, avs_st_name(st, i))) {
      rc = avs_seterr(AVS_EFORMAT, "%s: unexpected tensor '%s' for architecture '%s'", path, avs_st_name(st, i),
                      p->arch);
      return rc;
    }
  for (int i = 0; i < p->n; i++)
    if ((rc = check_finite(st, p->t[i], path))) return rc;
  /* Every check passed: only now touch the model, so a bad file changes nothing. */
  for (int i = 0; i < p->n; i++) {
    int ndim;
    int64_t shape[AVS_MAX_DIMS];
    const float *data;
    avs_st_get(st, p->t[i]->name, &ndim, shape, &data);
    memcpy(p->t[i]->data, data, sizeof(float) * p->t[i]->numel);
    p->t[i]->version++;
  }
  return AVS_OK;
}

int avs_params_save(const avs_params *p, const char *path) {
  avs_st_writer *w = avs_st_writer_new();
  if (!w) return avs_errcode();
  int rc = avs_st_writer_meta(w, "avs.arch", p->arch);
  if (!rc) rc = avs_st_writer_meta(w, "avs.version", AVS_VERSION_STRING);
  for (int i = 0; !rc && i < p->n_meta; i++) rc = avs_st_writer_meta(w, p->meta_keys[i], p->meta_values[i]);
  for (int i = 0; !rc && i < p->n; i++) rc = avs_st_writer_add(w, p->t[i]->name, p->t[i]->ndim, p->t[i]->shape, p->t[i]->data);
  if (!rc) rc = avs_st_writer_save(w, path);
  avs_st_writer_free(&w);
  return rc;
}
