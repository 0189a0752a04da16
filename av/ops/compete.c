/* Competing masks: the rows of a group share every element. Row j of group g
 * becomes c_j = m_j^3 / D with D = sum over the group's rows of m_k^2 (c = 0
 * where D = 0), so a group's rows add up to at most max m, an element goes
 * mostly to the row that claims it most, and a row alone keeps its value.
 * Separation applies it to the sigmoid masks of one window's sources
 * (fusion/separate.h); training through it teaches the masks that competition
 * (avtrain sep --compete). dc_j/dm_i = [i = j] 3 m_j^2 / D - 2 m_i m_j^3 / D^2. */
#include <stdlib.h>

#include "av/ops.h"
#include "av/ops/elem.h"
#include "av/ops/op_util.h"

/* The rows of each group: rows_of[first[g] .. first[g + 1]). Arena memory
 * on the tape, malloc'ed (freed by the caller) off it. */
typedef struct {
  int groups, *first, *rows_of;
} group_index;

static void *scratch(avs_ctx *ctx, size_t n) { return ctx ? avs_ctx_alloc(ctx, n) : malloc(n); }

static int index_groups(avs_ctx *ctx, int rows, const int *group, group_index *ix) {
  int groups = 1;
  for (int r = 0; group && r < rows; r++) {
    if (group[r] < 0) return avs_seterr(AVS_EINVAL, "compete: group %d of row %d is negative", group[r], r);
    if (group[r] >= groups) groups = group[r] + 1;
  }
  ix->groups = groups;
  ix->first = scratch(ctx, sizeof(int) * (size_t)(groups + 1));
  ix->rows_of = scratch(ctx, sizeof(int) * (size_t)rows);
  if (!ix->first || !ix->rows_of) return avs_seterr(AVS_ENOMEM, "compete: out of memory");
  /* a counting sort: first[g + 1] counts, then runs as each group's fill
   * position, which leaves first[g] at the next group's start: shift back */
  memset(ix->first, 0, sizeof(int) * (size_t)(groups + 1));
  for (int r = 0; r < rows; r++) ix->first[(group ? group[r] : 0) + 1]++;
  for (int g = 0; g < groups; g++) ix->first[g + 1] += ix->first[g];
  for (int r = 0; r < rows; r++) ix->rows_of[ix->first[group ? group[r] : 0]++] = r;
  for (int g = groups; g > 0; g--) ix->first[g] = ix->first[g - 1];
  ix->first[0] = 0;
  return AVS_OK;
}

/* Elements [lo, hi) of every row; out may be m. */
static void compete_k(const float *m, float *out, int64_t plane, const group_index *ix, int64_t lo, int64_t hi) {
  for (int g = 0; g < ix->groups; g++) {
    const int *rows = ix->rows_of + ix->first[g];
    int k = ix->first[g + 1] - ix->first[g];
    for (int64_t e = lo; e < hi; e++) {
      double d = 0;
      for (int j = 0; j < k; j++) d += (double)m[rows[j] * plane + e] * m[rows[j] * plane + e];
      for (int j = 0; j < k; j++) {
        double v = m[rows[j] * plane + e];
        out[rows[j] * plane + e] = d > 0 ? (float)(v * v * v / d) : 0.0f;
      }
    }
  }
}

typedef struct {
  group_index ix;
} compete_saved;

static void compete_bwd_k(const float *m, const float *gy, float *gx, int64_t plane, const group_index *ix,
                          int64_t lo, int64_t hi) {
  for (int g = 0; g < ix->groups; g++) {
    const int *rows = ix->rows_of + ix->first[g];
    int k = ix->first[g + 1] - ix->first[g];
    for (int64_t e = lo; e < hi; e++) {
      double d = 0, s = 0; /* D and sum_j gy_j m_j^3 */
      for (int j = 0; j < k; j++) {
        double v = m[rows[j] * plane + e];
        d += v * v;
        s += gy[rows[j] * plane + e] * v * v * v;
      }
      if (!(d > 0)) continue;
      for (int j = 0; j < k; j++) {
        int64_t at = rows[j] * plane + e;
        double v = m[at];
        gx[at] += (float)(gy[at] * 3.0 * v * v / d - 2.0 * v * s / (d * d));
      }
    }
  }
}

static void compete_backward(avs_ctx *ctx, avs_node *node) {
  (void)ctx;
  const avs_tensor *x = node->in[0], *y = node->out;
  const group_index *ix = &((compete_saved *)node->saved)->ix;
  int64_t plane = x->numel / x->shape[0];
  const float *m = x->data, *gy = y->grad;
  float *gx = node->in[0]->grad;
  AVS_PAR_RANGE(plane, x->numel, lo, hi, compete_bwd_k(m, gy, gx, plane, ix, lo, hi));
}

avs_tensor *avs_compete(avs_ctx *ctx, avs_tensor *m, const int *group) {
  if (!m) return NULL;
  if (m->ndim < 1 || m->shape[0] < 1) return AVS_OP_FAIL("compete", "input must have at least one row");
  compete_saved *s = avs_ctx_alloc(ctx, sizeof *s);
  avs_tensor *y = avs_op_like(ctx, m);
  if (!s || !y || index_groups(ctx, (int)m->shape[0], group, &s->ix)) return NULL;
  int64_t plane = m->numel / m->shape[0];
  const float *md = m->data;
  float *yd = y->data;
  AVS_PAR_RANGE(plane, m->numel, lo, hi, compete_k(md, yd, plane, &s->ix, lo, hi));
  avs_node *node = avs_tape_push(ctx, "compete", compete_backward, y, 1, &m);
  if (node) node->saved = s;
  return y;
}

int avs_compete_rows(float *m, int rows, int64_t plane, const int *group) {
  group_index ix = {0};
  int rc = index_groups(NULL, rows, group, &ix);
  if (!rc) compete_k(m, m, plane, &ix, 0, plane);
  free(ix.first);
  free(ix.rows_of);
  return rc;
}
