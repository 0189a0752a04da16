/* Tensors: float32, up to 5 dims, contiguous, row-major.
 * Activations are channels-last: video (N,T,H,W,C), images and spectrograms
 * (N,H,W,C), sequences (N,L,C). Weights keep PyTorch's order (O,I,kT,kH,kW).
 *
 * Two kinds of tensor exist: parameters (heap, made with avs_tensor_new, live
 * in a model, gradients accumulate across steps) and activations (made by ops
 * in a context's arena, gone at avs_ctx_reset). */
#ifndef AVS_TENSOR_H
#define AVS_TENSOR_H

#include <stdbool.h>
#include <stdint.h>

#define AVS_MAX_DIMS 5

typedef struct avs_tensor {
  float *data;
  float *grad;           /* NULL until a backward pass writes it */
  int64_t shape[AVS_MAX_DIMS];
  int ndim;
  int64_t numel;
  bool requires_grad;    /* parameter, or result of an op on one, while taping */
  bool is_param;         /* heap-owned; its grad is heap-owned and accumulates */
  uint32_t version;      /* bumped on in-place updates: invalidates cached weight reorders */
  const char *name;      /* optional (parameters: their state_dict name) */
} avs_tensor;

/* Literal shape helper: avs_tensor_new(4, AVS_SHAPE(1, 8, 8, 3)). */
#define AVS_SHAPE(...) ((const int64_t[]){__VA_ARGS__})

/* Heap tensor filled with zeros; requires_grad = is_param = true.
 * Returns NULL (and sets avs_errmsg) on bad shape or out of memory. */
avs_tensor *avs_tensor_new(int ndim, const int64_t *shape);
void avs_tensor_free(avs_tensor **t);
/* Allocates t->grad (zeroed) if it has none; returns it or NULL on OOM. */
float *avs_tensor_grad(avs_tensor *t);
void avs_tensor_zero_grad(avs_tensor *t);

/* The element count; INT64_MAX when the product overflows (never UB). */
int64_t avs_shape_numel(int ndim, const int64_t *shape);
/* The largest tensor any creation accepts: 2^36 floats (256 GiB), far above
 * any real activation, far below where byte counts overflow. */
#define AVS_TENSOR_MAX_NUMEL ((int64_t)1 << 36)
/* The one check every tensor creation makes: rank 0..AVS_MAX_DIMS, no
 * negative dimension, element count at most AVS_TENSOR_MAX_NUMEL (so a shape
 * from absurd hyperparameters fails with a message naming it, not with an
 * overflowed size). Sets *numel; AVS_EINVAL or AVS_ENOMEM with avs_errmsg. */
int avs_shape_check(int ndim, const int64_t *shape, int64_t *numel);
bool avs_tensor_same_shape(const avs_tensor *a, const avs_tensor *b);
/* "(2, 3, 4)" into buf; returns buf. */
char *avs_shape_str(int ndim, const int64_t *shape, char *buf, int size);

#endif
