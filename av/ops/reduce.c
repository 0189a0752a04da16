/* Reductions: sum and mean of all elements (scalar results), and the shared
 * sum helpers of elem.h. */
#include <omp.h>

#include "av/ops.h"
#include "av/ops/elem.h"

/* ---- helpers ---- */

/* Fixed chunking (independent of the thread count) so results are reproducible
 * on any machine; 64 chunks keep up to 16 threads balanced. */
#define SUM_CHUNKS 64

static double sum_range(const float *x, int64_t lo, int64_t hi) {
  double s = 0;
#pragma omp simd reduction(+ : s)
  for (int64_t i = lo; i < hi; i++) s += x[i];
  return s;
}

double avs_elem_sum(const float *x, int64_t n) {
  if (n < AVS_PAR_MIN) return sum_range(x, 0, n);
  double part[SUM_CHUNKS];
#pragma omp parallel for schedule(static)
  for (int c = 0; c < SUM_CHUNKS; c++) part[c] = sum_range(x, n * c / SUM_CHUNKS, n * (c + 1) / SUM_CHUNKS);
  double s = 0;
  for (int c = 0; c < SUM_CHUNKS; c++) s += part[c];
  return s;
}

/* Columns [j0, j1) over rows [r0, r1), accumulated into acc[0 .. j1-j0). */
static void colsum_block(const float *g, const float *a, int64_t inner, int64_t r0, int64_t r1, int64_t j0,
                         int64_t j1, double *acc) {
  int64_t w = j1 - j0;
  for (int64_t r = r0; r < r1; r++) {
    const float *gr = g + r * inner + j0;
    if (a) {
      const float *ar = a + r * inner + j0;
#pragma omp simd
      for (int64_t j = 0; j < w; j++) acc[j] += (double)gr[j] * ar[j];
    } else {
#pragma omp simd
      for (int64_t j = 0; j < w; j++) acc[j] += gr[j];
    }
  }
}

#define COL_BLOCK 256 /* columns per task: a 2 KiB double accumulator on the stack */
#define ROW_SPLIT_MAX_INNER 32
#define ROW_SPLIT_MAX_THREADS 64

void avs_elem_colsum(const float *g, const float *a, int64_t outer, int64_t inner, float sign, float *out) {
  if (inner <= 0 || outer <= 0) return;
  int nt = outer * inner >= AVS_PAR_MIN ? omp_get_max_threads() : 1;
  if (nt > 1 && inner <= ROW_SPLIT_MAX_INNER) {
    /* Few columns (a scalar or a handful of channels): split the rows among a
     * fixed number of tasks, add the partial sums in task order. */
    int nc = nt < ROW_SPLIT_MAX_THREADS ? nt : ROW_SPLIT_MAX_THREADS;
    double part[ROW_SPLIT_MAX_THREADS][ROW_SPLIT_MAX_INNER] = {{0}};
#pragma omp parallel for schedule(static) num_threads(nc)
    for (int c = 0; c < nc; c++) colsum_block(g, a, inner, outer * c / nc, outer * (c + 1) / nc, 0, inner, part[c]);
    for (int64_t j = 0; j < inner; j++) {
      double s = 0;
      for (int c = 0; c < nc; c++) s += part[c][j];
      out[j] += sign * (float)s;
    }
    return;
  }
  /* Column blocks, each summed over all rows by one task; narrower blocks when
   * that is what it takes to give every thread work. */
  int64_t bw = COL_BLOCK;
  if (nt > 1 && (inner + bw - 1) / bw < nt) {
    bw = (inner + nt - 1) / nt;
    bw = (bw + 15) / 16 * 16;
  }
  int64_t nb = (inner + bw - 1) / bw;
#pragma omp parallel for schedule(static) if (nt > 1 && nb > 1)
  for (int64_t b = 0; b < nb; b++) {
    double acc[COL_BLOCK] = {0};
    int64_t j0 = b * bw, j1 = j0 + bw < inner ? j0 + bw : inner;
    colsum_block(g, a, inner, 0, outer, j0, j1, acc);
    for (int64_t j = j0; j < j1; j++) out[j] += sign * (float)acc[j - j0];
  }
}

/* ---- sum and mean ---- */

static void spread(avs_tensor *x, float g) {
  float *gx = x->grad;
  int64_t n = x->numel;
#pragma omp parallel for simd schedule(static) if (n >= AVS_PAR_MIN)
  for (int64_t i = 0; i < n; i++) gx[i] += g;
}

static void sum_backward(avs_ctx *ctx, avs_node *node) {
  (void)ctx;
  spread(node->in[0], node->out->grad[0]);
}

static void mean_backward(avs_ctx *ctx, avs_node *node) {
  (void)ctx;
  spread(node->in[0], node->out->grad[0] / (float)node->in[0]->numel);
}

avs_tensor *avs_sum(avs_ctx *ctx, avs_tensor *x) {
  if (!x) return NULL;
  avs_tensor *y = avs_op_scalar(ctx);
  if (!y) return NULL;
  y->data[0] = (float)avs_elem_sum(x->data, x->numel);
  avs_tape_push(ctx, "sum", sum_backward, y, 1, &x);
  return y;
}

avs_tensor *avs_mean(avs_ctx *ctx, avs_tensor *x) {
  if (!x) return NULL;
  if (x->numel == 0) return AVS_OP_FAIL("mean", "empty input");
  avs_tensor *y = avs_op_scalar(ctx);
  if (!y) return NULL;
  y->data[0] = (float)(avs_elem_sum(x->data, x->numel) / (double)x->numel);
  avs_tape_push(ctx, "mean", mean_backward, y, 1, &x);
  return y;
}
