#include "av/ctx.h"

#include <stdlib.h>
#include <string.h>

#include "av/rng.h"
#include "av/status.h"

/* The arena is a list of blocks that never move, so pointers stay valid until
 * reset. Reset rewinds every block (after merging them into one, when steps
 * outgrew the arena twice); the memory is kept for the next step. */
typedef struct arena_block {
  struct arena_block *next;
  size_t size, used;
  unsigned char *mem;
} arena_block;

struct avs_ctx {
  arena_block *blocks, *current;
  size_t block_size, used_total, peak;
  bool grew;   /* the step since the last reset appended a block */
  int growths; /* steps that did */
  bool train, grad;
  avs_precision precision;
  avs_rng rng;
  avs_node *nodes;
  int n_nodes, cap_nodes;
  void *backend;
  void (*backend_free)(void *);
  struct avs_fold_cache *fold;   /* nn/fold.h: the model whose eval forward runs here */
  struct avs_layer_trace *trace; /* nn/trace.h: the per-layer table being recorded */
};

static avs_precision default_precision = AVS_FP32;
void avs_precision_set_default(avs_precision p) { default_precision = p; }
avs_precision avs_precision_default(void) { return default_precision; }

avs_ctx *avs_ctx_new(const avs_ctx_params *params) {
  avs_ctx *ctx = calloc(1, sizeof *ctx);
  if (!ctx) {
    avs_seterr(AVS_ENOMEM, "out of memory for a context");
    return NULL;
  }
  avs_ctx_params p = params ? *params : (avs_ctx_params){0};
  ctx->block_size = p.arena_bytes ? p.arena_bytes : (size_t)64 << 20;
  ctx->train = p.train;
  ctx->grad = true;
  ctx->precision = default_precision;
  avs_rng_seed(&ctx->rng, p.seed ? p.seed : 0x5eed);
  return ctx;
}

void avs_ctx_free(avs_ctx **pctx) {
  if (!pctx || !*pctx) return;
  avs_ctx *ctx = *pctx;
  for (arena_block *b = ctx->blocks, *next; b; b = next) {
    next = b->next;
    free(b->mem);
    free(b);
  }
  if (ctx->backend_free) ctx->backend_free(ctx->backend);
  free(ctx->nodes);
  free(ctx);
  *pctx = NULL;
}

/* One block in place of several: a step that outgrew the arena appended
 * blocks sized to its requests, and steps of varying shapes (a batch with more
 * sources than any before) would keep appending more, each one fresh pages the
 * kernel must zero (a training epoch faulted in twice its peak this way). One
 * block of the peak plus a quarter holds every step seen so far. When the new
 * block cannot be had, the old ones stay. */
static void consolidate(avs_ctx *ctx) {
  size_t size = ctx->peak + ctx->peak / 4, huge = (size_t)2 << 20;
  size = (size + huge - 1) / huge * huge;
  if (size < ctx->block_size) size = ctx->block_size;
  arena_block *nb = calloc(1, sizeof *nb);
  void *mem = NULL;
  if (!nb || posix_memalign(&mem, 64, size)) {
    free(nb);
    return;
  }
  for (arena_block *b = ctx->blocks, *next; b; b = next) {
    next = b->next;
    free(b->mem);
    free(b);
  }
  nb->mem = mem;
  nb->size = size;
  ctx->blocks = nb;
}

void avs_ctx_reset(avs_ctx *ctx) {
  /* The first step to outgrow the arena keeps the blocks it appended: the same step again (the usual case:
   * the next batch, window or chunk of the same shapes) makes the same requests in the same order, which
   * land where they did, on pages already faulted in. Merging them right away cost every such loop a second
   * first-touch pass (a separation forward of 32 regions: 400 ms, where the passes after take 180). */
  ctx->growths += ctx->grew;
  ctx->grew = false;
  if (ctx->growths > 1 && ctx->blocks && ctx->blocks->next) consolidate(ctx);
  for (arena_block *b = ctx->blocks; b; b = b->next) b->used = 0;
  ctx->current = ctx->blocks;
  ctx->used_total = 0;
  ctx->n_nodes = 0;
}

bool avs_ctx_train(const avs_ctx *ctx) { return ctx->train; }
void avs_ctx_set_train(avs_ctx *ctx, bool train) { ctx->train = train; }
bool avs_ctx_grad_enabled(const avs_ctx *ctx) { return ctx->grad; }
void avs_ctx_set_grad(avs_ctx *ctx, bool enabled) { ctx->grad = enabled; }
struct avs_rng *avs_ctx_rng(avs_ctx *ctx) { return &ctx->rng; }
void avs_ctx_set_precision(avs_ctx *ctx, avs_precision p) { ctx->precision = p; }
avs_precision avs_ctx_precision(const avs_ctx *ctx) { return ctx->precision; }
size_t avs_ctx_arena_used(const avs_ctx *ctx) { return ctx->used_total; }
size_t avs_ctx_arena_peak(const avs_ctx *ctx) { return ctx->peak; }

void *avs_ctx_alloc(avs_ctx *ctx, size_t bytes) {
  if (bytes > sizeof(float) * (uint64_t)AVS_TENSOR_MAX_NUMEL) { /* also a negative size cast to size_t */
    avs_seterr(AVS_ENOMEM, "a work buffer of %zu bytes is too large: check the sizes asked for", bytes);
    return NULL;
  }
  bytes = (bytes + 63) & ~(size_t)63;
  if (!bytes) bytes = 64;
  for (arena_block *b = ctx->current; b; b = b->next) {
    if (b->size - b->used >= bytes) {
      void *p = b->mem + b->used;
      b->used += bytes;
      ctx->current = b;
      ctx->used_total += bytes;
      if (ctx->used_total > ctx->peak) ctx->peak = ctx->used_total;
      return p;
    }
  }
  /* No room: append a block at least as large as the request. */
  arena_block *nb = calloc(1, sizeof *nb);
  size_t size = bytes > ctx->block_size ? bytes : ctx->block_size;
  void *mem = NULL;
  if (!nb || posix_memalign(&mem, 64, size)) {
    free(nb);
    avs_seterr(AVS_ENOMEM, "out of memory: arena needs %zu more bytes", bytes);
    return NULL;
  }
  nb->mem = mem;
  nb->size = size;
  arena_block **tail = &ctx->blocks;
  while (*tail) tail = &(*tail)->next;
  *tail = nb;
  ctx->grew |= ctx->blocks != nb; /* the first block is the arena itself, not growth */
  ctx->current = nb;
  return avs_ctx_alloc(ctx, bytes);
}

static avs_tensor *tensor_header(avs_ctx *ctx, int ndim, const int64_t *shape) {
  int64_t numel;
  if (avs_shape_check(ndim, shape, &numel)) return NULL;
  avs_tensor *t = avs_ctx_alloc(ctx, sizeof *t);
  if (!t) return NULL;
  memset(t, 0, sizeof *t);
  t->ndim = ndim;
  for (int i = 0; i < ndim; i++) t->shape[i] = shape[i];
  t->numel = numel;
  return t;
}

avs_tensor *avs_ctx_tensor(avs_ctx *ctx, int ndim, const int64_t *shape) {
  avs_tensor *t = tensor_header(ctx, ndim, shape);
  if (!t) return NULL;
  t->data = avs_ctx_alloc(ctx, sizeof(float) * t->numel);
  return t->data ? t : NULL;
}

avs_tensor *avs_ctx_zeros(avs_ctx *ctx, int ndim, const int64_t *shape) {
  avs_tensor *t = avs_ctx_tensor(ctx, ndim, shape);
  if (t) memset(t->data, 0, sizeof(float) * t->numel);
  return t;
}

avs_tensor *avs_ctx_wrap(avs_ctx *ctx, float *data, int ndim, const int64_t *shape) {
  avs_tensor *t = tensor_header(ctx, ndim, shape);
  if (t) t->data = data;
  return t;
}

float *avs_grad(avs_ctx *ctx, avs_tensor *t) {
  if (t->grad) return t->grad;
  if (t->is_param) return avs_tensor_grad(t);
  t->grad = avs_ctx_alloc(ctx, sizeof(float) * t->numel);
  if (t->grad) memset(t->grad, 0, sizeof(float) * t->numel);
  return t->grad;
}

bool avs_tape_wants(avs_ctx *ctx, int n_in, avs_tensor *const *in) {
  if (!ctx->train || !ctx->grad) return false;
  for (int i = 0; i < n_in; i++)
    if (in[i] && in[i]->requires_grad) return true;
  return false;
}

avs_node *avs_tape_push(avs_ctx *ctx, const char *op, avs_backward_fn backward, avs_tensor *out,
                        int n_in, avs_tensor *const *in) {
  AVS_ASSERT(n_in <= AVS_NODE_MAX_IN);
  if (!out || !avs_tape_wants(ctx, n_in, in)) return NULL;
  if (ctx->n_nodes == ctx->cap_nodes) {
    int cap = ctx->cap_nodes ? 2 * ctx->cap_nodes : 256;
    avs_node *nodes = realloc(ctx->nodes, sizeof *nodes * cap);
    if (!nodes) {
      avs_seterr(AVS_ENOMEM, "out of memory for the autograd tape");
      return NULL;
    }
    ctx->nodes = nodes;
    ctx->cap_nodes = cap;
  }
  avs_node *node = &ctx->nodes[ctx->n_nodes++];
  memset(node, 0, sizeof *node);
  node->op = op;
  node->backward = backward;
  node->out = out;
  node->n_in = n_in;
  for (int i = 0; i < n_in; i++) node->in[i] = in[i];
  out->requires_grad = true;
  return node;
}

/* An input given twice gets both contributions: only its first slot may be fresh. */
static bool input_repeats(const avs_node *node, int k) {
  for (int j = 0; j < k; j++)
    if (node->in[j] == node->in[k]) return true;
  return false;
}

static int run_tape(avs_ctx *ctx) {
  /* Backward kernels are void and report failure (oneDNN, OOM) through avs_seterr. */
  avs_clearerr();
  /* Nodes are in creation order, a topological order; walk it backwards. */
  for (int i = ctx->n_nodes - 1; i >= 0; i--) {
    avs_node *node = &ctx->nodes[i];
    if (!node->out->grad) continue; /* nothing downstream used this output */
    node->fresh = 0;
    for (int k = 0; k < node->n_in; k++) {
      avs_tensor *x = node->in[k];
      if (!x || !x->requires_grad) continue;
      if (node->sets_fresh && !x->grad && !x->is_param && !input_repeats(node, k)) {
        if (!(x->grad = avs_ctx_alloc(ctx, sizeof(float) * x->numel))) return avs_errcode();
        node->fresh |= 1u << k;
      } else if (!avs_grad(ctx, x)) {
        return avs_errcode();
      }
    }
    node->backward(ctx, node);
    if (avs_errcode()) return avs_errcode();
  }
  return AVS_OK;
}

int avs_backward_from(avs_ctx *ctx, avs_tensor *out, const float *grad_out) {
  if (!out) return avs_seterr(AVS_EINVAL, "backward from a failed forward pass");
  if (!out->requires_grad) return avs_seterr(AVS_EINVAL, "backward: output does not depend on any parameter");
  float *g = avs_grad(ctx, out);
  if (!g) return avs_errcode();
  for (int64_t i = 0; i < out->numel; i++) g[i] += grad_out ? grad_out[i] : 1.0f;
  return run_tape(ctx);
}

int avs_backward(avs_ctx *ctx, avs_tensor *loss) {
  if (loss && loss->numel != 1)
    return avs_seterr(AVS_ESHAPE, "backward needs a scalar loss, got %lld elements", (long long)loss->numel);
  return avs_backward_from(ctx, loss, NULL);
}

void *avs_ctx_backend(avs_ctx *ctx) { return ctx->backend; }
void avs_ctx_set_backend(avs_ctx *ctx, void *state, void (*free_fn)(void *state)) {
  ctx->backend = state;
  ctx->backend_free = free_fn;
}

struct avs_fold_cache *avs_ctx_fold(const avs_ctx *ctx) { return ctx->fold; }
struct avs_layer_trace *avs_ctx_trace(const avs_ctx *ctx) { return ctx->trace; }

struct avs_fold_cache *avs_ctx_swap_fold(avs_ctx *ctx, struct avs_fold_cache *c) {
  struct avs_fold_cache *prev = ctx->fold;
  ctx->fold = c;
  return prev;
}

struct avs_layer_trace *avs_ctx_swap_trace(avs_ctx *ctx, struct avs_layer_trace *t) {
  struct avs_layer_trace *prev = ctx->trace;
  ctx->trace = t;
  return prev;
}
