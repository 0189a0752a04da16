/* The compute context: an arena for activations (bump allocation, dropped at
 * avs_ctx_reset), the autograd tape, the training flag, a random generator,
 * and backend state (oneDNN engine, stream and primitive cache) kept across
 * resets.
 *
 *   avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){ .train = true });
 *   avs_tensor *y = avs_relu(ctx, avs_conv3d(ctx, x, w, b, conv));
 *   avs_tensor *loss = avs_mse_loss(ctx, y, target);
 *   avs_backward(ctx, loss);   // fills ->grad of every parameter on the tape
 *   avs_ctx_reset(ctx);        // drops activations and tape, keeps caches
 *
 * Ops return NULL when they fail (error in avs_errmsg()) and return NULL when
 * given a NULL input, so a whole forward pass can be checked once at its end. */
#ifndef AVS_CTX_H
#define AVS_CTX_H

#include <stddef.h>
#include <stdint.h>

#include "av/tensor.h"

typedef struct avs_ctx avs_ctx;

typedef struct {
  bool train;          /* batch norm uses batch statistics, dropout is active, ops tape */
  uint64_t seed;       /* random generator seed (dropout); 0 picks a fixed default */
  size_t arena_bytes;  /* first arena block; 0 = 64 MiB. The arena grows as needed. */
} avs_ctx_params;

avs_ctx *avs_ctx_new(const avs_ctx_params *params);
void avs_ctx_free(avs_ctx **ctx);
/* Forget every activation and tape node; keep the arena (its blocks merged
 * into one when it grew) and backend caches. */
void avs_ctx_reset(avs_ctx *ctx);

bool avs_ctx_train(const avs_ctx *ctx);
void avs_ctx_set_train(avs_ctx *ctx, bool train);
/* Taping can be switched off separately (e.g. train-mode batch norm without gradients). */
bool avs_ctx_grad_enabled(const avs_ctx *ctx);
void avs_ctx_set_grad(avs_ctx *ctx, bool enabled);
struct avs_rng *avs_ctx_rng(avs_ctx *ctx);

/* Arithmetic of convolutions. AVS_BF16: inputs and weights rounded to bfloat16,
 * products accumulated and outputs kept in fp32; a taped (training) convolution's
 * backward also rounds the output gradient and takes its input and weight
 * gradients in fp32 (the weights stay fp32). Every other op stays fp32. The
 * process default (below) also sets the NMF prior's products (audio/nmf.h). */
typedef enum { AVS_FP32 = 0, AVS_BF16 = 1 } avs_precision;
void avs_ctx_set_precision(avs_ctx *ctx, avs_precision p);
avs_precision avs_ctx_precision(const avs_ctx *ctx);
/* The precision new contexts start with (process-wide, AVS_FP32 unless set):
 * how an app's --precision reaches the contexts the library makes inside. */
void avs_precision_set_default(avs_precision p);
avs_precision avs_precision_default(void);
/* True where bf16 convolutions run faster than fp32: AMX, or AVX512-BF16 on
 * AMD. Elsewhere bf16 runs (any AVX-512 CPU) but slower than fp32. */
bool avs_cpu_native_bf16(void);
/* Parses "fp32", "bf16" or "auto" (bf16 where avs_cpu_native_bf16, else fp32).
 * "bf16" where the CPU has no AVX-512 at all fails: oneDNN cannot run it. */
int avs_precision_parse(const char *text, avs_precision *out);
const char *avs_precision_name(avs_precision p);
size_t avs_ctx_arena_used(const avs_ctx *ctx);   /* bytes in use now */
size_t avs_ctx_arena_peak(const avs_ctx *ctx);   /* high-water mark since creation */

/* Arena memory, 64-byte aligned, uninitialised; NULL + error on OOM. */
void *avs_ctx_alloc(avs_ctx *ctx, size_t bytes);
/* Activation tensor in the arena: data uninitialised / zeroed. */
avs_tensor *avs_ctx_tensor(avs_ctx *ctx, int ndim, const int64_t *shape);
avs_tensor *avs_ctx_zeros(avs_ctx *ctx, int ndim, const int64_t *shape);
/* Wraps caller-owned memory as an activation input (no copy, no grad). */
avs_tensor *avs_ctx_wrap(avs_ctx *ctx, float *data, int ndim, const int64_t *shape);
/* Gradient buffer of t, zero-filled on first use (arena for activations, heap
 * for parameters). NULL on OOM. */
float *avs_grad(avs_ctx *ctx, avs_tensor *t);

/* ---- tape (used by op implementations) ---- */
#define AVS_NODE_MAX_IN 12

typedef struct avs_node avs_node;
typedef void (*avs_backward_fn)(avs_ctx *ctx, avs_node *node);

struct avs_node {
  const char *op;                  /* op name, for debugging */
  avs_backward_fn backward;        /* reads out->grad, adds into in[i]'s grad if requires_grad */
  avs_tensor *out;
  avs_tensor *in[AVS_NODE_MAX_IN]; /* NULL entries allowed (optional bias, ...) */
  int n_in;
  void *saved;                     /* op-specific, arena-allocated */
  /* Set by an op whose backward can write an input's gradient outright: then
   * the input gradients the tape creates for this node are left unzeroed, and
   * bit k of `fresh` tells the backward that in[k]'s gradient is such a buffer,
   * to be set, not added to (saves a zero-fill and an accumulation pass over
   * each large activation gradient). */
  bool sets_fresh;
  unsigned fresh;
};
static inline bool avs_node_fresh(const avs_node *node, int k) { return node->fresh >> k & 1u; }

/* Records an op when the context tapes and any input requires grad; marks
 * out->requires_grad. Returns the node (to attach `saved`) or NULL when
 * nothing is recorded; a NULL return is not an error. */
avs_node *avs_tape_push(avs_ctx *ctx, const char *op, avs_backward_fn backward, avs_tensor *out,
                        int n_in, avs_tensor *const *in);
/* True if the op being built will be taped (so forward should save what backward needs). */
bool avs_tape_wants(avs_ctx *ctx, int n_in, avs_tensor *const *in);

/* Backward from a scalar: seeds d(loss)=1 and walks the tape in reverse.
 * Parameter grads accumulate (zero them with the optimizer between steps). */
int avs_backward(avs_ctx *ctx, avs_tensor *loss);
/* Backward from any tensor with a given upstream gradient (same numel). */
int avs_backward_from(avs_ctx *ctx, avs_tensor *out, const float *grad_out);

/* Backend state hook: one opaque slot freed with the context (oneDNN). */
void *avs_ctx_backend(avs_ctx *ctx);
void avs_ctx_set_backend(avs_ctx *ctx, void *state, void (*free_fn)(void *state));

/* State the model layer keeps per context, opaque here: the fold cache of the
 * model running in eval mode (nn/fold.h) and the layer trace being recorded
 * (nn/trace.h). Per context, not per thread: two models on two contexts of one
 * thread do not mix. The swaps return the previous value. */
struct avs_fold_cache;
struct avs_layer_trace;
struct avs_fold_cache *avs_ctx_fold(const avs_ctx *ctx);
struct avs_layer_trace *avs_ctx_trace(const avs_ctx *ctx);
struct avs_fold_cache *avs_ctx_swap_fold(avs_ctx *ctx, struct avs_fold_cache *c);
struct avs_layer_trace *avs_ctx_swap_trace(avs_ctx *ctx, struct avs_layer_trace *t);

#endif
