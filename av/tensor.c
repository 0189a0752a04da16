#include "av/tensor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "av/status.h"

int64_t avs_shape_numel(int ndim, const int64_t *shape) {
  int64_t n = 1;
  for (int i = 0; i < ndim; i++)
    if (__builtin_mul_overflow(n, shape[i], &n)) return INT64_MAX;
  return n;
}

int avs_shape_check(int ndim, const int64_t *shape, int64_t *numel) {
  *numel = 0;
  if (ndim < 0 || ndim > AVS_MAX_DIMS)
    return avs_seterr(AVS_EINVAL, "tensor rank %d is outside 0..%d", ndim, AVS_MAX_DIMS);
  for (int i = 0; i < ndim; i++)
    if (shape[i] < 0) return avs_seterr(AVS_EINVAL, "negative tensor dimension %lld", (long long)shape[i]);
  int64_t n = avs_shape_numel(ndim, shape);
  if (n > AVS_TENSOR_MAX_NUMEL) {
    char s[128];
    return avs_seterr(AVS_ENOMEM, "a tensor of shape %s is too large (over %lld elements): check the sizes asked for",
                      avs_shape_str(ndim, shape, s, sizeof s), (long long)AVS_TENSOR_MAX_NUMEL);
  }
  *numel = n;
  return AVS_OK;
}

bool avs_tensor_same_shape(const avs_tensor *a, const avs_tensor *b) {
  if (a->ndim != b->ndim) return false;
  for (int i = 0; i < a->ndim; i++)
    if (a->shape[i] != b->shape[i]) return false;
  return true;
}

char *avs_shape_str(int ndim, const int64_t *shape, char *buf, int size) {
  int k = snprintf(buf, size, "(");
  for (int i = 0; i < ndim && k < size; i++)
    k += snprintf(buf + k, size - k, i ? ", %lld" : "%lld", (long long)shape[i]);
  if (k < size) snprintf(buf + k, size - k, ")");
  return buf;
}

static void *alloc_aligned(size_t bytes) {
  void *p = NULL;
  size_t rounded = (bytes + 63) & ~(size_t)63;
  if (posix_memalign(&p, 64, rounded ? rounded : 64)) return NULL;
  return p;
}

avs_tensor *avs_tensor_new(int ndim, const int64_t *shape) {
  int64_t numel;
  if (avs_shape_check(ndim, shape, &numel)) return NULL;
  avs_tensor *t = calloc(1, sizeof *t);
  if (!t) goto fail;
  t->ndim = ndim;
  if (ndim) memcpy(t->shape, shape, sizeof(int64_t) * ndim);
  t->numel = numel;
  t->data = alloc_aligned(sizeof(float) * t->numel);
  if (!t->data) goto fail;
  memset(t->data, 0, sizeof(float) * t->numel);
  t->requires_grad = true;
  t->is_param = true;
  return t;
fail:
  if (t) free(t);
  avs_seterr(AVS_ENOMEM, "out of memory for a tensor");
  return NULL;
}

void avs_tensor_free(avs_tensor **t) {
  if (!t || !*t) return;
  if ((*t)->is_param) {
    free((*t)->data);
    free((*t)->grad);
    free(*t);
  }
  *t = NULL;
}

float *avs_tensor_grad(avs_tensor *t) {
  if (!t->grad) {
    t->grad = alloc_aligned(sizeof(float) * t->numel);
    if (!t->grad) {
      avs_seterr(AVS_ENOMEM, "out of memory for a gradient");
      return NULL;
    }
    memset(t->grad, 0, sizeof(float) * t->numel);
  }
  return t->grad;
}

void avs_tensor_zero_grad(avs_tensor *t) {
  if (t->grad) memset(t->grad, 0, sizeof(float) * t->numel);
}
