/* bf16 matrix products (see gemm.h): oneDNN's matmul primitive. A plan holds the
 * primitive, its stream and memory objects (making them costs ~0.2 ms, a third of
 * an NMF product's time); one CPU engine for the process, a stream per plan, so
 * threads may run their own plans at once. */
#include <oneapi/dnnl/dnnl.h>
#include <pthread.h>
#include <stdlib.h>

#include "av/gemm.h"
#include "av/status.h"

static dnnl_engine_t engine;
static dnnl_status_t engine_status = dnnl_runtime_error;

static void make_engine(void) { engine_status = dnnl_engine_create(&engine, dnnl_cpu, 0); }

void avs_bf16_round_n(const float *x, size_t n, uint16_t *out) {
  for (size_t i = 0; i < n; i++) out[i] = avs_bf16_round(x[i]);
}

/* op(X) as an r x c matrix of X stored row-major with leading dimension ld. */
static dnnl_status_t operand(dnnl_memory_desc_t *md, bool trans, int r, int c, int ld, dnnl_data_type_t dt) {
  dnnl_dims_t dims = {r, c}, strides = {trans ? 1 : ld, trans ? ld : 1};
  return dnnl_memory_desc_init_by_strides(md, 2, dims, dt, strides);
}

struct avs_gemm_bf16_plan {
  dnnl_primitive_desc_t pd;
  dnnl_primitive_t prim;
  dnnl_stream_t stream;
  dnnl_memory_t mem[3]; /* A, B, C: their data handles set by each run */
  int m, n, k;
};

static int failed(dnnl_status_t st, int m, int n, int k) {
  if (st == dnnl_unimplemented)
    return avs_seterr(AVS_EUNSUPPORTED, "a bf16 product needs a CPU with AVX-512 (oneDNN has none for this one)");
  return avs_seterr(AVS_EBACKEND, "oneDNN: a bf16 product of %d x %d by %d x %d failed (status %d)", m, k, k, n,
                    (int)st);
}

void avs_gemm_bf16_plan_free(avs_gemm_bf16_plan **plan) {
  avs_gemm_bf16_plan *p = plan ? *plan : NULL;
  if (!p) return;
  for (int i = 0; i < 3; i++) dnnl_memory_destroy(p->mem[i]);
  dnnl_stream_destroy(p->stream);
  dnnl_primitive_destroy(p->prim);
  dnnl_primitive_desc_destroy(p->pd);
  free(p);
  *plan = NULL;
}

int avs_gemm_bf16_plan_new(bool trans_a, bool trans_b, int m, int n, int k, int lda, int ldb, int ldc,
                           avs_gemm_bf16_plan **out) {
  *out = NULL;
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, make_engine);
  if (engine_status != dnnl_success) return avs_seterr(AVS_EBACKEND, "oneDNN: no CPU engine for a bf16 product");
  avs_gemm_bf16_plan *p = calloc(1, sizeof *p);
  if (!p) return avs_seterr(AVS_ENOMEM, "out of memory");
  p->m = m, p->n = n, p->k = k;
  if (!m || !n) { /* an empty product: nothing to run */
    *out = p;
    return AVS_OK;
  }
  dnnl_memory_desc_t md[3];
  dnnl_matmul_desc_t desc;
  dnnl_status_t st = operand(&md[0], trans_a, m, k, lda, dnnl_bf16);
  if (st == dnnl_success) st = operand(&md[1], trans_b, k, n, ldb, dnnl_bf16);
  if (st == dnnl_success) st = operand(&md[2], false, m, n, ldc, dnnl_f32);
  if (st == dnnl_success) st = dnnl_matmul_desc_init(&desc, &md[0], &md[1], NULL, &md[2]);
  if (st == dnnl_success) st = dnnl_primitive_desc_create(&p->pd, &desc, NULL, engine, NULL);
  if (st == dnnl_success) st = dnnl_primitive_create(&p->prim, p->pd);
  if (st == dnnl_success) st = dnnl_stream_create(&p->stream, engine, dnnl_stream_default_flags);
  for (int i = 0; i < 3 && st == dnnl_success; i++) st = dnnl_memory_create(&p->mem[i], &md[i], engine, DNNL_MEMORY_NONE);
  if (st != dnnl_success) {
    avs_gemm_bf16_plan_free(&p);
    return failed(st, m, n, k);
  }
  *out = p;
  return AVS_OK;
}

int avs_gemm_bf16_run(avs_gemm_bf16_plan *p, const uint16_t *a, const uint16_t *b, float *c) {
  if (!p->m || !p->n) return AVS_OK;
  const void *data[3] = {a, b, c};
  dnnl_status_t st = dnnl_success;
  for (int i = 0; i < 3 && st == dnnl_success; i++) st = dnnl_memory_set_data_handle(p->mem[i], (void *)data[i]);
  if (st == dnnl_success) {
    dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, p->mem[0]}, {DNNL_ARG_WEIGHTS, p->mem[1]}, {DNNL_ARG_DST, p->mem[2]}};
    st = dnnl_primitive_execute(p->prim, p->stream, 3, args);
  }
  if (st == dnnl_success) st = dnnl_stream_wait(p->stream);
  return st == dnnl_success ? AVS_OK : failed(st, p->m, p->n, p->k);
}
