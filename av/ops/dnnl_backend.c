/* oneDNN backend: engine, stream, primitive cache, weight cache, scratchpad. */
#include "av/ops/dnnl_backend.h"

#include <oneapi/dnnl/dnnl_debug.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "av/status.h"

#define N_BUCKETS 512

typedef struct wcache {
  struct wcache *next;
  const avs_tensor *w;
  const float *src;        /* w->data when cached */
  uint32_t version;
  uint64_t fingerprint;
  dnnl_memory_desc_t md;   /* layout of buf (a reorder's) */
  int form;                /* 0: a reorder into md; else the caller's transform (avs_dnnl_weights_by) */
  void *buf;
  size_t bytes;
} wcache;

struct avs_dnnl {
  dnnl_engine_t engine;
  dnnl_stream_t stream;
  avs_dnnl_entry *buckets[N_BUCKETS];
  wcache *wbuckets[N_BUCKETS];
  void *scratch;
  size_t scratch_bytes;
  avs_dnnl_stats stats;
};

int avs_dnnl_check(dnnl_status_t st, const char *what) {
  if (st == dnnl_success) return AVS_OK;
  if (st == dnnl_out_of_memory) return avs_seterr(AVS_ENOMEM, "oneDNN: out of memory (%s)", what);
  return avs_seterr(AVS_EBACKEND, "oneDNN: %s failed: %s", what, dnnl_status2str(st));
}

static void *aligned_alloc64(size_t bytes) {
  void *p = NULL;
  if (posix_memalign(&p, 64, bytes ? (bytes + 63) & ~(size_t)63 : 64)) return NULL;
  return p;
}

void avs_dnnl_prim_free(avs_dnnl_prim *p) {
  for (int i = 0; i < p->n_mem; i++) dnnl_memory_destroy(p->mem[i]);
  if (p->prim) dnnl_primitive_destroy(p->prim);
  if (p->pd) dnnl_primitive_desc_destroy(p->pd);
  memset(p, 0, sizeof *p);
}

void avs_dnnl_entry_clear(avs_dnnl_entry *e) {
  for (int i = 0; i < 3; i++) avs_dnnl_prim_free(&e->prim[i]);
  if (e->hint) dnnl_primitive_desc_destroy(e->hint);
  e->hint = NULL;
  memset(e->aux, 0, sizeof e->aux);
  e->ready = false;
}

static void backend_free(void *state) {
  avs_dnnl *d = state;
  if (!d) return;
  for (int b = 0; b < N_BUCKETS; b++) {
    for (avs_dnnl_entry *e = d->buckets[b], *next; e; e = next) {
      next = e->next;
      avs_dnnl_entry_clear(e);
      free(e);
    }
    for (wcache *c = d->wbuckets[b], *next; c; c = next) {
      next = c->next;
      free(c->buf);
      free(c);
    }
  }
  free(d->scratch);
  if (d->stream) dnnl_stream_destroy(d->stream);
  if (d->engine) dnnl_engine_destroy(d->engine);
  free(d);
}

avs_dnnl *avs_dnnl_get(avs_ctx *ctx) {
  avs_dnnl *d = avs_ctx_backend(ctx);
  if (d) return d;
  d = calloc(1, sizeof *d);
  if (!d) {
    avs_seterr(AVS_ENOMEM, "out of memory for the oneDNN backend");
    return NULL;
  }
  AVS_DNNL_TRY(dnnl_engine_create(&d->engine, dnnl_cpu, 0), "creating the CPU engine");
  AVS_DNNL_TRY(dnnl_stream_create(&d->stream, d->engine, dnnl_stream_default_flags), "creating a stream");
  avs_ctx_set_backend(ctx, d, backend_free);
  return d;
fail:
  backend_free(d);
  return NULL;
}

void avs_dnnl_get_stats(avs_ctx *ctx, avs_dnnl_stats *stats) {
  avs_dnnl *d = avs_ctx_backend(ctx);
  if (d)
    *stats = d->stats;
  else
    memset(stats, 0, sizeof *stats);
}

/* ---- primitives ---- */

static int make_from_pd(avs_dnnl *d, avs_dnnl_prim *p) {
  const dnnl_memory_desc_t *smd = dnnl_primitive_desc_query_md(p->pd, dnnl_query_scratchpad_md, 0);
  p->scratch_bytes = smd ? dnnl_memory_desc_get_size(smd) : 0;
  if (avs_dnnl_check(dnnl_primitive_create(&p->prim, p->pd), "creating a primitive")) {
    avs_dnnl_prim_free(p);
    return avs_errcode();
  }
  d->stats.prims_created++;
  return AVS_OK;
}

static dnnl_primitive_attr_t user_scratch_attr(void) {
  dnnl_primitive_attr_t attr = NULL;
  if (dnnl_primitive_attr_create(&attr) != dnnl_success) return NULL;
  if (dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user) != dnnl_success) {
    dnnl_primitive_attr_destroy(attr);
    return NULL;
  }
  return attr;
}

/* Implementations of oneDNN 2.6 that misbehave, so a primitive takes the next one oneDNN offers:
 * - 1x1 convolutions with a stride > 1 write past the end of their scratchpad when the
 *   channels are not whole vector blocks (AVX2, 4 input channels, stride 2, backward: the heap
 *   is corrupted);
 * - the AMX brgemm convolutions (brgconv:avx512_core_amx*) read one element past the end of a
 *   16-entry array while the primitive is created (seen for small maps: 8->16 channels 4x4
 *   stride 2, 32->4 channels 2x2): a fault when that array ends a mapped page, as it does
 *   under AddressSanitizer about once in 15 runs of avsep separate. */
static bool known_bad(const_dnnl_primitive_desc_t pd, const_dnnl_op_desc_t desc) {
  if (*(const dnnl_primitive_kind_t *)desc != dnnl_convolution) return false;
  const char *impl = NULL;
  if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) != dnnl_success || !impl) return false;
  if (!strncmp(impl, "brgconv:", 8) && strstr(impl, "amx")) return true;
  if (strncmp(impl, "jit_1x1", 7)) return false;
  const dnnl_convolution_desc_t *cd = desc;
  const dnnl_memory_desc_t *src = cd->src_desc.ndims ? &cd->src_desc : &cd->diff_src_desc;
  const dnnl_memory_desc_t *dst = cd->dst_desc.ndims ? &cd->dst_desc : &cd->diff_dst_desc;
  bool strided = false;
  for (int i = 0; i < src->ndims - 2; i++) strided |= cd->strides[i] > 1;
  return strided && (src->dims[1] % 16 || dst->dims[1] % 16);
}

int avs_dnnl_prim_make(avs_dnnl *d, avs_dnnl_prim *p, const_dnnl_op_desc_t desc,
                       const_dnnl_primitive_desc_t hint) {
  return avs_dnnl_prim_make_post(d, p, desc, hint, false);
}

/* attr's post-ops: one ReLU. */
static bool set_relu(dnnl_primitive_attr_t attr) {
  dnnl_post_ops_t po = NULL;
  bool ok = dnnl_post_ops_create(&po) == dnnl_success &&
            dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f) == dnnl_success &&
            dnnl_primitive_attr_set_post_ops(attr, po) == dnnl_success;
  if (po) dnnl_post_ops_destroy(po);
  return ok;
}

int avs_dnnl_prim_make_post(avs_dnnl *d, avs_dnnl_prim *p, const_dnnl_op_desc_t desc,
                            const_dnnl_primitive_desc_t hint, bool relu) {
  memset(p, 0, sizeof *p);
  dnnl_primitive_attr_t attr = user_scratch_attr();
  if (!attr) return avs_seterr(AVS_EBACKEND, "oneDNN: cannot create primitive attributes");
  if (relu && !set_relu(attr)) {
    dnnl_primitive_attr_destroy(attr);
    return avs_seterr(AVS_EBACKEND, "oneDNN: cannot add a ReLU to a primitive");
  }
  dnnl_primitive_desc_iterator_t it = NULL;
  dnnl_status_t st = dnnl_primitive_desc_iterator_create(&it, desc, attr, d->engine, hint);
  dnnl_primitive_attr_destroy(attr);
  if (avs_dnnl_check(st, "creating a primitive descriptor")) return avs_errcode();
  /* The first implementation (oneDNN's preference) that is not known to be broken. */
  do {
    p->pd = dnnl_primitive_desc_iterator_fetch(it);
    if (p->pd && !known_bad(p->pd, desc)) break;
    if (p->pd) dnnl_primitive_desc_destroy(p->pd);
    p->pd = NULL;
  } while (dnnl_primitive_desc_iterator_next(it) == dnnl_success);
  dnnl_primitive_desc_iterator_destroy(it);
  if (!p->pd) return avs_seterr(AVS_EBACKEND, "oneDNN: no usable implementation for a primitive");
  return make_from_pd(d, p);
}

int avs_dnnl_reorder_make(avs_dnnl *d, avs_dnnl_prim *p, const dnnl_memory_desc_t *src,
                          const dnnl_memory_desc_t *dst, bool accumulate) {
  memset(p, 0, sizeof *p);
  dnnl_primitive_attr_t attr = user_scratch_attr();
  dnnl_post_ops_t po = NULL;
  if (!attr) return avs_seterr(AVS_EBACKEND, "oneDNN: cannot create primitive attributes");
  if (accumulate) {
    if (dnnl_post_ops_create(&po) != dnnl_success || dnnl_post_ops_append_sum(po, 1.0f) != dnnl_success ||
        dnnl_primitive_attr_set_post_ops(attr, po) != dnnl_success) {
      if (po) dnnl_post_ops_destroy(po);
      dnnl_primitive_attr_destroy(attr);
      return avs_seterr(AVS_EBACKEND, "oneDNN: cannot set up an accumulating reorder");
    }
    dnnl_post_ops_destroy(po);
  }
  dnnl_status_t st = dnnl_reorder_primitive_desc_create(&p->pd, src, d->engine, dst, d->engine, attr);
  dnnl_primitive_attr_destroy(attr);
  if (avs_dnnl_check(st, "creating a reorder")) {
    p->pd = NULL;
    return avs_errcode();
  }
  return make_from_pd(d, p);
}

const dnnl_memory_desc_t *avs_dnnl_arg_md(const avs_dnnl_prim *p, int arg) {
  return dnnl_primitive_desc_query_md(p->pd, dnnl_query_exec_arg_md, arg);
}

size_t avs_dnnl_arg_bytes(const avs_dnnl_prim *p, int arg) {
  const dnnl_memory_desc_t *md = avs_dnnl_arg_md(p, arg);
  return md ? dnnl_memory_desc_get_size(md) : 0;
}

static dnnl_memory_t arg_mem(avs_dnnl *d, avs_dnnl_prim *p, int arg) {
  for (int i = 0; i < p->n_mem; i++)
    if (p->mem_arg[i] == arg) return p->mem[i];
  if (p->n_mem == AVS_DNNL_MAX_ARGS) {
    avs_seterr(AVS_EBACKEND, "oneDNN: too many arguments for one primitive");
    return NULL;
  }
  const dnnl_memory_desc_t *md =
      arg == DNNL_ARG_SCRATCHPAD ? dnnl_primitive_desc_query_md(p->pd, dnnl_query_scratchpad_md, 0)
                                 : avs_dnnl_arg_md(p, arg);
  dnnl_memory_t m = NULL;
  if (!md || avs_dnnl_check(dnnl_memory_create(&m, md, d->engine, DNNL_MEMORY_NONE), "creating a memory object"))
    return NULL;
  p->mem_arg[p->n_mem] = arg;
  p->mem[p->n_mem++] = m;
  return m;
}

int avs_dnnl_exec(avs_dnnl *d, avs_dnnl_prim *p, int n, const avs_dnnl_arg *args) {
  dnnl_exec_arg_t ea[AVS_DNNL_MAX_ARGS + 1];
  AVS_ASSERT(n <= AVS_DNNL_MAX_ARGS && p->prim);
  int k = 0;
  for (int i = 0; i < n; i++) {
    dnnl_memory_t m = arg_mem(d, p, args[i].arg);
    if (!m) return avs_errcode();
    if (avs_dnnl_check(dnnl_memory_set_data_handle(m, (void *)args[i].ptr), "setting a data handle"))
      return avs_errcode();
    ea[k++] = (dnnl_exec_arg_t){args[i].arg, m};
  }
  if (p->scratch_bytes) {
    if (!avs_dnnl_scratch(d, p->scratch_bytes)) return avs_errcode();
    dnnl_memory_t m = arg_mem(d, p, DNNL_ARG_SCRATCHPAD);
    if (!m) return avs_errcode();
    if (avs_dnnl_check(dnnl_memory_set_data_handle(m, d->scratch), "setting a data handle")) return avs_errcode();
    ea[k++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, m};
  }
  if (avs_dnnl_check(dnnl_primitive_execute(p->prim, d->stream, k, ea), "executing a primitive") ||
      avs_dnnl_check(dnnl_stream_wait(d->stream), "waiting for the stream"))
    return avs_errcode();
  d->stats.executions++;
  return AVS_OK;
}

/* ---- primitive cache ---- */

static uint64_t hash_bytes(const void *p, size_t n, uint64_t h) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
  return h;
}

avs_dnnl_entry *avs_dnnl_entry_get(avs_dnnl *d, const int64_t *key, int n_key) {
  AVS_ASSERT(n_key > 0 && n_key <= AVS_DNNL_KEY_MAX);
  uint64_t h = hash_bytes(key, sizeof(int64_t) * n_key, 0xcbf29ce484222325ull) % N_BUCKETS;
  for (avs_dnnl_entry *e = d->buckets[h]; e; e = e->next)
    if (e->n_key == n_key && !memcmp(e->key, key, sizeof(int64_t) * n_key)) return e;
  avs_dnnl_entry *e = calloc(1, sizeof *e);
  if (!e) {
    avs_seterr(AVS_ENOMEM, "out of memory for the primitive cache");
    return NULL;
  }
  e->n_key = n_key;
  memcpy(e->key, key, sizeof(int64_t) * n_key);
  e->next = d->buckets[h];
  d->buckets[h] = e;
  d->stats.cache_entries++;
  return e;
}

/* ---- weights ---- */

static uint64_t fingerprint(const avs_tensor *w) {
  uint64_t h = hash_bytes(&w->numel, sizeof w->numel, 0xcbf29ce484222325ull);
  int64_t step = w->numel > 64 ? w->numel / 64 : 1;
  for (int64_t i = 0; i < w->numel; i += step) h = hash_bytes(&w->data[i], sizeof(float), h);
  if (w->numel) h = hash_bytes(&w->data[w->numel - 1], sizeof(float), h);
  return h;
}

/* *buf with room for at least `bytes` (contents not kept when it grows); NULL + AVS_ENOMEM. */
static void *grow(void **buf, size_t *capacity, size_t bytes, const char *what) {
  if (*capacity >= bytes) return *buf;
  free(*buf);
  *capacity = 0;
  *buf = aligned_alloc64(bytes);
  if (!*buf) {
    avs_seterr(AVS_ENOMEM, "out of memory for %s (%zu bytes)", what, bytes);
    return NULL;
  }
  *capacity = bytes;
  return *buf;
}

/* w's copy in the layout md or form (see the weight cache in dnnl_backend.h): cached for
 * parameters, made in the arena for other tensors; fill(w, dst, arg) makes it. */
static const void *cached_weights(avs_dnnl *d, avs_ctx *ctx, const avs_tensor *w, const dnnl_memory_desc_t *md,
                                  int form, size_t bytes, int (*fill)(const avs_tensor *, void *, void *), void *arg) {
  if (!w->is_param) {
    void *buf = avs_ctx_alloc(ctx, bytes);
    if (!buf || fill(w, buf, arg)) return NULL;
    d->stats.weight_reorders++;
    return buf;
  }
  uint64_t h = hash_bytes(&w, sizeof w, 0xcbf29ce484222325ull) % N_BUCKETS;
  wcache *c = d->wbuckets[h];
  for (; c; c = c->next)
    if (c->w == w && c->form == form && (form || dnnl_memory_desc_equal(&c->md, md))) break;
  uint64_t fp = fingerprint(w);
  if (c && c->src == w->data && c->version == w->version && c->fingerprint == fp) return c->buf;
  if (!c) {
    c = calloc(1, sizeof *c);
    if (!c) {
      avs_seterr(AVS_ENOMEM, "out of memory for the weight cache");
      return NULL;
    }
    c->w = w;
    c->form = form;
    if (!form) c->md = *md;
    c->next = d->wbuckets[h];
    d->wbuckets[h] = c;
  }
  if (!grow(&c->buf, &c->bytes, bytes, "reordered weights")) return NULL;
  c->src = NULL; /* invalid until the fill succeeds */
  if (fill(w, c->buf, arg)) return NULL;
  d->stats.weight_reorders++;
  c->src = w->data;
  c->version = w->version;
  c->fingerprint = fp;
  return c->buf;
}

typedef struct {
  avs_dnnl *d;
  avs_dnnl_prim *reorder;
} reorder_arg;

static int fill_by_reorder(const avs_tensor *w, void *dst, void *arg) {
  reorder_arg *r = arg;
  return avs_dnnl_exec(r->d, r->reorder, 2, (avs_dnnl_arg[]){{DNNL_ARG_FROM, w->data}, {DNNL_ARG_TO, dst}});
}

const void *avs_dnnl_weights(avs_dnnl *d, avs_ctx *ctx, const avs_tensor *w, avs_dnnl_prim *reorder) {
  if (!reorder->prim) return w->data;
  const dnnl_memory_desc_t *md = avs_dnnl_arg_md(reorder, DNNL_ARG_TO);
  return cached_weights(d, ctx, w, md, 0, dnnl_memory_desc_get_size(md), fill_by_reorder,
                        &(reorder_arg){d, reorder});
}

const void *avs_dnnl_weights_by(avs_dnnl *d, avs_ctx *ctx, const avs_tensor *w, int form, size_t bytes,
                                int (*fill)(const avs_tensor *w, void *dst, void *arg), void *arg) {
  AVS_ASSERT(form > 0);
  return cached_weights(d, ctx, w, NULL, form, bytes, fill, arg);
}

void *avs_dnnl_scratch(avs_dnnl *d, size_t bytes) {
  return grow(&d->scratch, &d->scratch_bytes, bytes, "a scratchpad");
}

/* ---- helpers ---- */

dnnl_format_tag_t avs_dnnl_act_tag(int nsp) {
  switch (nsp) {
    case 0: return dnnl_nc;
    case 1: return dnnl_nwc;
    case 2: return dnnl_nhwc;
    default: return dnnl_ndhwc;
  }
}

int avs_dnnl_md_typed(dnnl_memory_desc_t *md, int ndims, const int64_t *dims, dnnl_format_tag_t tag,
                      dnnl_data_type_t type) {
  dnnl_dims_t dd;
  for (int i = 0; i < ndims; i++) dd[i] = dims[i];
  return avs_dnnl_check(dnnl_memory_desc_init_by_tag(md, ndims, dd, type, tag), "describing memory");
}

int avs_dnnl_md(dnnl_memory_desc_t *md, int ndims, const int64_t *dims, dnnl_format_tag_t tag) {
  return avs_dnnl_md_typed(md, ndims, dims, tag, dnnl_f32);
}

void avs_dnnl_accumulate(float *dst, const float *src, int64_t n) {
#pragma omp parallel for simd schedule(static) if (n > 32768)
  for (int64_t i = 0; i < n; i++) dst[i] += src[i];
}

float *avs_dnnl_grad_dst(avs_ctx *ctx, const avs_node *node, int k) {
  avs_tensor *x = node->in[k];
  return avs_node_fresh(node, k) ? x->grad : avs_ctx_alloc(ctx, sizeof(float) * x->numel);
}

void avs_dnnl_grad_done(const avs_node *node, int k, const float *g) {
  avs_tensor *x = node->in[k];
  if (g != x->grad) avs_dnnl_accumulate(x->grad, g, x->numel);
}

avs_tensor *avs_dnnl_shape_error(const char *op, const char *fmt, ...) {
  char msg[384];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  avs_seterr(AVS_ESHAPE, "%s: %s", op, msg);
  return NULL;
}

/* ---- precision ---- */

static bool isa_has(unsigned isa) { return ((unsigned)dnnl_get_effective_cpu_isa() & isa) == isa; }

/* AMX tiles, or AVX512-BF16 on AMD (Zen 4/5: vdpbf16ps at twice the fp32 FMA
 * rate). Intel's AVX512-BF16 without AMX issues vdpbf16ps on one port only:
 * C3D's convs measured 470 ms bf16 against 300 ms fp32 on such a Xeon, so
 * "auto" keeps fp32 there. */
bool avs_cpu_native_bf16(void) {
  if (isa_has(dnnl_cpu_isa_avx512_core_amx)) return true;
  __builtin_cpu_init();
  return isa_has(dnnl_cpu_isa_avx512_core_bf16) && __builtin_cpu_is("amd");
}

const char *avs_precision_name(avs_precision p) { return p == AVS_BF16 ? "bf16" : "fp32"; }

int avs_precision_parse(const char *text, avs_precision *out) {
  if (!strcmp(text, "fp32")) {
    *out = AVS_FP32;
  } else if (!strcmp(text, "auto")) {
    *out = avs_cpu_native_bf16() ? AVS_BF16 : AVS_FP32;
  } else if (!strcmp(text, "bf16")) {
    /* oneDNN emulates bf16 on plain AVX-512 (slowly) and has no bf16 below it. */
    if (!isa_has(dnnl_cpu_isa_avx512_core))
      return avs_seterr(AVS_EUNSUPPORTED, "bf16 needs a CPU with AVX-512; this one has none (use fp32)");
    *out = AVS_BF16;
  } else {
    return avs_seterr(AVS_EINVAL, "precision must be fp32, bf16 or auto, not '%s'", text);
  }
  return AVS_OK;
}
