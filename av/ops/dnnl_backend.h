/* oneDNN backend state of a context (internal, not installed API).
 *
 * One engine, one stream, a primitive cache and a cache of reordered weights
 * per avs_ctx, kept in the context's backend slot (avs_ctx_backend) and freed
 * with it; avs_ctx_reset keeps them.
 *
 * Primitive cache: an op builds an int64 key from its kind and every shape and
 * parameter that defines the primitive, gets an avs_dnnl_entry for it and, the
 * first time only (entry->ready false), creates the primitive descriptors and
 * primitives it needs into the entry's slots. Later calls with the same key
 * execute what is there: no primitive descriptor, primitive or memory object
 * is created on the hot path (memory objects are cached per primitive and only
 * get their data handle set).
 *
 * Scratchpads are in user mode: one buffer per context, grown to the largest
 * need, shared by all primitives (they run one at a time on the stream).
 *
 * Weight cache: parameters (is_param tensors) are stored in PyTorch's order;
 * the layout a primitive chose is obtained by a reorder whose result is kept,
 * keyed by the tensor pointer and the target layout, and reused while the
 * tensor's `version` and a sampled fingerprint of its contents are unchanged.
 * (The fingerprint guards against a freed tensor's address being reused by a
 * new tensor with the same version.) Non-parameter weights are reordered into
 * the arena on every call. */
#ifndef AVS_DNNL_BACKEND_H
#define AVS_DNNL_BACKEND_H

#include <oneapi/dnnl/dnnl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "av/ctx.h"
#include "av/ops.h"

typedef struct avs_dnnl avs_dnnl;

/* The context's backend, created on first use. NULL + error (AVS_EBACKEND or AVS_ENOMEM). */
avs_dnnl *avs_dnnl_get(avs_ctx *ctx);

/* Translates a oneDNN status: 0 on success, else sets AVS_EBACKEND naming `what`. */
int avs_dnnl_check(dnnl_status_t st, const char *what);
#define AVS_DNNL_TRY(call, what)                                                                   \
  do {                                                                                             \
    if (avs_dnnl_check((call), (what))) goto fail;                                                 \
  } while (0)

/* A primitive with its descriptor and cached memory objects, one per argument. */
#define AVS_DNNL_MAX_ARGS 12
typedef struct {
  dnnl_primitive_desc_t pd;
  dnnl_primitive_t prim;
  size_t scratch_bytes;
  int n_mem;
  int mem_arg[AVS_DNNL_MAX_ARGS];
  dnnl_memory_t mem[AVS_DNNL_MAX_ARGS];
} avs_dnnl_prim;

/* Creates pd + primitive for an op descriptor (user scratchpad). hint: forward pd or NULL. */
int avs_dnnl_prim_make(avs_dnnl *d, avs_dnnl_prim *p, const_dnnl_op_desc_t desc,
                       const_dnnl_primitive_desc_t hint);
/* The same with a ReLU post-op on the destination when relu (a forward convolution's). */
int avs_dnnl_prim_make_post(avs_dnnl *d, avs_dnnl_prim *p, const_dnnl_op_desc_t desc,
                            const_dnnl_primitive_desc_t hint, bool relu);
/* Reorder src -> dst; accumulate: dst += src (sum post-op) instead of dst = src. */
int avs_dnnl_reorder_make(avs_dnnl *d, avs_dnnl_prim *p, const dnnl_memory_desc_t *src,
                          const dnnl_memory_desc_t *dst, bool accumulate);
void avs_dnnl_prim_free(avs_dnnl_prim *p);
/* Memory descriptor the primitive expects for an execution argument (DNNL_ARG_*). */
const dnnl_memory_desc_t *avs_dnnl_arg_md(const avs_dnnl_prim *p, int arg);
size_t avs_dnnl_arg_bytes(const avs_dnnl_prim *p, int arg);

typedef struct {
  int arg;
  const void *ptr;
} avs_dnnl_arg;
/* Executes with the given arguments (scratchpad added here) and waits. */
int avs_dnnl_exec(avs_dnnl *d, avs_dnnl_prim *p, int n, const avs_dnnl_arg *args);

/* ---- primitive cache ---- */
#define AVS_DNNL_KEY_MAX 48
typedef struct avs_dnnl_entry {
  struct avs_dnnl_entry *next;
  int n_key;
  int64_t key[AVS_DNNL_KEY_MAX];
  bool ready;                    /* set by the op once its slots are built */
  avs_dnnl_prim prim[3];         /* op-defined use: main primitive, reorders */
  dnnl_primitive_desc_t hint;    /* forward pd kept alive for backward pds */
  int64_t aux[8];                /* op-defined */
} avs_dnnl_entry;

/* The entry for a key (created empty if new). NULL + error on OOM. */
avs_dnnl_entry *avs_dnnl_entry_get(avs_dnnl *d, const int64_t *key, int n_key);
/* Frees what a failed build left in an entry; it stays, not ready. */
void avs_dnnl_entry_clear(avs_dnnl_entry *e);

/* Op kinds for the first key element. */
enum {
  AVS_DNNL_CONV_FWD = 1,
  AVS_DNNL_CONV_BWD_DATA,
  AVS_DNNL_CONV_BWD_WEIGHTS,
  AVS_DNNL_POOL_FWD,
  AVS_DNNL_POOL_BWD,
  AVS_DNNL_BN_FWD,
  AVS_DNNL_BN_BWD,
};

/* ---- weights ---- */
/* w's data in the layout reorder's destination describes, reordering from
 * PyTorch order only when needed (see the weight cache above). If reorder has
 * no primitive (the layouts are equal) returns w->data. NULL + error on failure. */
const void *avs_dnnl_weights(avs_dnnl *d, avs_ctx *ctx, const avs_tensor *w, avs_dnnl_prim *reorder);
/* w's data transformed by the op itself (fill writes `bytes` into dst, 0 or an error code),
 * cached like the reorders above under the op's `form` (> 0, one of AVS_WFORM_*). */
enum { AVS_WFORM_WINO = 1, AVS_WFORM_WINO_ADJOINT };
const void *avs_dnnl_weights_by(avs_dnnl *d, avs_ctx *ctx, const avs_tensor *w, int form, size_t bytes,
                                int (*fill)(const avs_tensor *w, void *dst, void *arg), void *arg);
/* The context's scratchpad, grown to at least `bytes` (its contents are not kept between
 * uses: oneDNN primitives and the ops' own kernels take turns on it). NULL + error on OOM. */
void *avs_dnnl_scratch(avs_dnnl *d, size_t bytes);

/* ---- shared op drivers ---- */
/* Convolution (transposed = false) or transposed convolution over nsp spatial
 * dims: the body of avs_conv1d/2d/3d and avs_conv_transpose2d/3d (conv.c). */
avs_tensor *avs_dnnl_convlike(avs_ctx *ctx, avs_tensor *x, avs_tensor *w, avs_tensor *b, avs_conv p, int nsp,
                              bool transposed, const char *name);

/* ---- helpers ---- */
/* Channels-last activation tag for 1/2/3 spatial dims (nwc, nhwc, ndhwc); nc for 0. */
dnnl_format_tag_t avs_dnnl_act_tag(int nsp);
/* f32 memory descriptor, and one of any data type. */
int avs_dnnl_md(dnnl_memory_desc_t *md, int ndims, const int64_t *dims, dnnl_format_tag_t tag);
int avs_dnnl_md_typed(dnnl_memory_desc_t *md, int ndims, const int64_t *dims, dnnl_format_tag_t tag,
                      dnnl_data_type_t type);
/* Sets AVS_ESHAPE with "<op>: <message>" and returns NULL (op names are not literals). */
avs_tensor *avs_dnnl_shape_error(const char *op, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Arena copy helpers: dst[i] += src[i]. */
void avs_dnnl_accumulate(float *dst, const float *src, int64_t n);
/* Where a backward primitive writes the gradient of node->in[k]: into that
 * gradient itself when the tape left it fresh (avs_node.sets_fresh), else into
 * an arena buffer that avs_dnnl_grad_done then adds in. NULL on OOM. */
float *avs_dnnl_grad_dst(avs_ctx *ctx, const avs_node *node, int k);
void avs_dnnl_grad_done(const avs_node *node, int k, const float *g);

/* Counters, for tests and benchmarks: how much work the caches saved. */
typedef struct {
  long prims_created;   /* primitive descriptors + primitives made (incl. reorders) */
  long weight_reorders; /* reorders of weights into a primitive's layout */
  long executions;      /* primitive executions */
  long cache_entries;
} avs_dnnl_stats;
/* Zeroes if the context has no backend yet. */
void avs_dnnl_get_stats(avs_ctx *ctx, avs_dnnl_stats *stats);

#endif
