/* 2-D -> 3-D inflation (see inflate.h). */
#include "video/models/inflate.h"

#include <stdio.h>
#include <string.h>

#include "av/status.h"

typedef enum { FIT_NONE, FIT_COPY, FIT_INFLATE, FIT_LINEAR_TO_CONV } fit;

static fit how(const avs_tensor *d, int ndim, const int64_t *s) {
  if (ndim == d->ndim && !memcmp(s, d->shape, sizeof(int64_t) * ndim)) return FIT_COPY;
  if (d->ndim == 5 && ndim == 4 && s[0] == d->shape[0] && s[1] == d->shape[1] && s[2] == d->shape[3] &&
      s[3] == d->shape[4])
    return FIT_INFLATE;
  if (d->ndim == 5 && ndim == 2 && s[0] == d->shape[0] && s[1] == d->shape[1] && d->shape[2] == 1 &&
      d->shape[3] == 1 && d->shape[4] == 1)
    return FIT_LINEAR_TO_CONV;
  return FIT_NONE;
}

/* (O, I, kh, kw) -> (O, I, kt, kh, kw): each 2-D kernel repeated kt times, / kt. */
static void inflate(avs_tensor *d, const float *src) {
  int64_t oi = d->shape[0] * d->shape[1], kt = d->shape[2], k2 = d->shape[3] * d->shape[4];
  float scale = 1.0f / (float)kt;
  for (int64_t i = 0; i < oi; i++)
    for (int64_t t = 0; t < kt; t++)
      for (int64_t j = 0; j < k2; j++) d->data[(i * kt + t) * k2 + j] = src[i * k2 + j] * scale;
}

int avs_inflate_2d_to_3d(avs_params *dst, const avs_st *src, bool allow_new, int *n_new) {
  int missing = 0;
  /* Check everything first, so a mismatch leaves dst untouched. */
  for (int i = 0; i < avs_st_count(src); i++)
    if (!avs_params_find(dst, avs_st_name(src, i)))
      return avs_seterr(AVS_EFORMAT, "inflate: the 2-D tensor '%s' has no place in %s", avs_st_name(src, i), dst->arch);
  for (int pass = 0; pass < 2; pass++)
    for (int i = 0; i < dst->n; i++) {
      avs_tensor *d = dst->t[i];
      int ndim;
      int64_t shape[AVS_MAX_DIMS];
      const float *data;
      int rc = avs_st_get(src, d->name, &ndim, shape, &data);
      if (rc == AVS_ENOTFOUND && allow_new) {
        missing += pass == 0;
        continue;
      }
      if (rc == AVS_ENOTFOUND) return avs_seterr(rc, "inflate: the 2-D checkpoint has no tensor '%s'", d->name);
      if (rc) return rc;
      fit f = how(d, ndim, shape);
      if (f == FIT_NONE) {
        char a[96], b[96];
        return avs_seterr(AVS_ESHAPE, "inflate: '%s' is %s in the 2-D checkpoint, which does not inflate to %s",
                          d->name, avs_shape_str(ndim, shape, a, sizeof a), avs_shape_str(d->ndim, d->shape, b, sizeof b));
      }
      if (pass == 0) continue;
      if (f == FIT_INFLATE) inflate(d, data);
      else memcpy(d->data, data, sizeof(float) * d->numel);
      d->version++;
    }
  if (n_new) *n_new = missing;
  return AVS_OK;
}

int avs_inflate_file(avs_params *dst, const char *path_2d, bool allow_new, int *n_new) {
  avs_st *st = NULL;
  int rc = avs_st_open(path_2d, &st);
  if (rc) return rc;
  rc = avs_inflate_2d_to_3d(dst, st, allow_new, n_new);
  if (rc) avs_errprefix(rc, path_2d);
  avs_st_close(&st);
  return rc;
}
