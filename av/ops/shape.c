/* Shape ops: reshape, permute, concat, slice and spatial zero padding.
 * Every output is a fresh contiguous copy; every backward adds the output
 * gradient back into the positions its elements came from. */
#include <string.h>

#include "av/ops.h"
#include "av/ops/elem.h"

static void add_into(float *restrict g, const float *restrict gy, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; i++) g[i] += gy[i];
}

/* A gradient's share: set where the tape left it fresh (avs_node.sets_fresh), else added. */
static void put_into(float *restrict g, const float *restrict gy, int64_t n, bool fresh) {
  if (fresh) memcpy(g, gy, sizeof(float) * (size_t)n);
  else add_into(g, gy, n);
}

static bool norm_dim(int *dim, int ndim, const char *op) {
  if (*dim < -ndim || *dim >= ndim) {
    avs_seterr(AVS_EINVAL, "%s: dim %d is out of range for %d dims", op, *dim, ndim);
    return false;
  }
  if (*dim < 0) *dim += ndim;
  return true;
}

/* ---- reshape ---- */

static void reshape_backward(avs_ctx *ctx, avs_node *node) {
  (void)ctx;
  float *gx = node->in[0]->grad;
  const float *gy = node->out->grad;
  int64_t n = node->out->numel;
  if (avs_node_fresh(node, 0)) {
    memcpy(gx, gy, sizeof(float) * (size_t)n);
    return;
  }
#pragma omp parallel for simd schedule(static) if (n >= AVS_PAR_MIN)
  for (int64_t i = 0; i < n; i++) gx[i] += gy[i];
}

avs_tensor *avs_reshape(avs_ctx *ctx, avs_tensor *x, int ndim, const int64_t *shape) {
  if (!x) return NULL;
  if (ndim < 0 || ndim > AVS_MAX_DIMS) {
    avs_seterr(AVS_EINVAL, "reshape: rank %d is outside 0..%d", ndim, AVS_MAX_DIMS);
    return NULL;
  }
  int64_t s[AVS_MAX_DIMS], known = 1;
  int infer = -1;
  for (int i = 0; i < ndim; i++) {
    s[i] = shape[i];
    if (s[i] == -1 && infer < 0) {
      infer = i;
    } else if (s[i] < 0) {
      avs_seterr(AVS_EINVAL, "reshape: dim %d is %lld (one -1 allowed, others >= 0)", i, (long long)s[i]);
      return NULL;
    } else {
      known *= s[i];
    }
  }
  if (infer >= 0) {
    if (known == 0 || x->numel % known) {
      char sx[96];
      avs_seterr(AVS_ESHAPE, "reshape: cannot infer the -1 dim of %lld elements %s with the others' product %lld",
                 (long long)x->numel, avs_shape_str(x->ndim, x->shape, sx, sizeof sx), (long long)known);
      return NULL;
    }
    s[infer] = x->numel / known;
  } else if (known != x->numel) {
    char sx[96], ss[96];
    avs_seterr(AVS_ESHAPE, "reshape: %s has %lld elements, cannot become %s", avs_shape_str(x->ndim, x->shape, sx, sizeof sx),
               (long long)x->numel, avs_shape_str(ndim, s, ss, sizeof ss));
    return NULL;
  }
  /* A view: the same floats under another shape (no op writes into its inputs). */
  avs_tensor *y = avs_ctx_wrap(ctx, x->data, ndim, s);
  if (!y) return NULL;
  avs_node *node = avs_tape_push(ctx, "reshape", reshape_backward, y, 1, &x);
  if (node) node->sets_fresh = true;
  return y;
}

/* ---- permute: y.shape[i] = x.shape[perm[i]] ----
 * Both directions gather: forward reads x with strides into contiguous rows
 * of y; backward reads gy the same way through the inverse permutation into
 * contiguous rows of gx (scattered read-modify-writes were 7x slower). */

typedef struct {
  int nd;
  int64_t shape[AVS_MAX_DIMS]; /* destination shape */
  int64_t sstr[AVS_MAX_DIMS];  /* source stride of each destination dim */
} perm_plan;

static void perm_plan_make(int nd, const int64_t *src_shape, const int *perm, perm_plan *p) {
  int64_t st[AVS_MAX_DIMS], acc = 1;
  for (int i = nd - 1; i >= 0; i--) st[i] = acc, acc *= src_shape[i];
  p->nd = nd;
  for (int i = 0; i < nd; i++) p->shape[i] = src_shape[perm[i]], p->sstr[i] = st[perm[i]];
}

/* dst = src permuted (accumulate: dst += ...), one destination row (all dims
 * but the last) per iteration. */
static void perm_run(const perm_plan *p, const float *src, float *dst, bool accumulate) {
  int nd = p->nd;
  if (nd == 0) {
    dst[0] = accumulate ? dst[0] + src[0] : src[0];
    return;
  }
  int64_t len = p->shape[nd - 1], step = p->sstr[nd - 1], rows = 1;
  for (int i = 0; i < nd - 1; i++) rows *= p->shape[i];
  if (!len) return;
#pragma omp parallel for schedule(static) if (rows * len >= AVS_PAR_MIN)
  for (int64_t r = 0; r < rows; r++) {
    int64_t off = 0, rem = r;
    for (int i = nd - 2; i >= 0; i--) {
      off += (rem % p->shape[i]) * p->sstr[i];
      rem /= p->shape[i];
    }
    const float *s = src + off;
    float *d = dst + r * len;
    if (step == 1) {
      if (accumulate) add_into(d, s, len);
      else memcpy(d, s, sizeof(float) * len);
    } else if (accumulate) {
      for (int64_t k = 0; k < len; k++) d[k] += s[k * step];
    } else {
      for (int64_t k = 0; k < len; k++) d[k] = s[k * step];
    }
  }
}

static void permute_backward(avs_ctx *ctx, avs_node *node) {
  (void)ctx;
  perm_run(node->saved, node->out->grad, node->in[0]->grad, !avs_node_fresh(node, 0));
}

avs_tensor *avs_permute(avs_ctx *ctx, avs_tensor *x, const int *perm) {
  if (!x) return NULL;
  bool seen[AVS_MAX_DIMS] = {false};
  int inv[AVS_MAX_DIMS];
  for (int i = 0; i < x->ndim; i++) {
    if (perm[i] < 0 || perm[i] >= x->ndim || seen[perm[i]]) {
      avs_seterr(AVS_EINVAL, "permute: entry %d (%d) is not a permutation of 0..%d", i, perm[i], x->ndim - 1);
      return NULL;
    }
    seen[perm[i]] = true;
    inv[perm[i]] = i;
  }
  perm_plan fwd;
  perm_plan_make(x->ndim, x->shape, perm, &fwd);
  avs_tensor *y = avs_ctx_tensor(ctx, fwd.nd, fwd.shape);
  if (!y) return NULL;
  perm_run(&fwd, x->data, y->data, false);
  if (avs_tape_wants(ctx, 1, &x)) {
    perm_plan *back = avs_ctx_alloc(ctx, sizeof *back);
    if (!back) return NULL;
    perm_plan_make(y->ndim, y->shape, inv, back);
    avs_node *node = avs_tape_push(ctx, "permute", permute_backward, y, 1, &x);
    if (node) node->saved = back, node->sets_fresh = true;
  }
  return y;
}

/* ---- concat ---- */

typedef struct {
  int dim;
  int64_t outer; /* product of the dims before `dim` */
} concat_saved;

/* Row length (elements from `dim` on) of t. */
static int64_t tail_numel(const avs_tensor *t, int dim) {
  int64_t n = 1;
  for (int i = dim; i < t->ndim; i++) n *= t->shape[i];
  return n;
}

static void concat_backward(avs_ctx *ctx, avs_node *node) {
  (void)ctx;
  const concat_saved *s = node->saved;
  const avs_tensor *y = node->out;
  int64_t total = tail_numel(y, s->dim), off = 0;
  for (int i = 0; i < node->n_in; i++) {
    avs_tensor *x = node->in[i];
    int64_t len = tail_numel(x, s->dim);
    if (x->requires_grad) {
      bool fresh = avs_node_fresh(node, i);
#pragma omp parallel for schedule(static) if (s->outer * len >= AVS_PAR_MIN)
      for (int64_t o = 0; o < s->outer; o++) put_into(x->grad + o * len, y->grad + o * total + off, len, fresh);
    }
    off += len;
  }
}

avs_tensor *avs_concat(avs_ctx *ctx, int n, avs_tensor *const *xs, int dim) {
  if (n < 1 || !xs) {
    avs_seterr(AVS_EINVAL, "concat: needs at least one tensor");
    return NULL;
  }
  for (int i = 0; i < n; i++)
    if (!xs[i]) return NULL;
  if (n > AVS_NODE_MAX_IN) {
    /* A tape node holds at most AVS_NODE_MAX_IN inputs: join the first ones,
     * then that with the rest. */
    int rest = n - (AVS_NODE_MAX_IN - 1);
    avs_tensor *head = avs_concat(ctx, AVS_NODE_MAX_IN - 1, xs, dim);
    avs_tensor **list = avs_ctx_alloc(ctx, sizeof *list * (size_t)(rest + 1));
    if (!head || !list) return NULL;
    list[0] = head;
    memcpy(list + 1, xs + AVS_NODE_MAX_IN - 1, sizeof *list * (size_t)rest);
    return avs_concat(ctx, rest + 1, list, dim);
  }
  const avs_tensor *x0 = xs[0];
  if (!norm_dim(&dim, x0->ndim, "concat")) return NULL;
  int64_t shape[AVS_MAX_DIMS];
  memcpy(shape, x0->shape, sizeof shape);
  shape[dim] = 0;
  for (int i = 0; i < n; i++) {
    const avs_tensor *x = xs[i];
    bool fits = x->ndim == x0->ndim;
    for (int d = 0; fits && d < x0->ndim; d++) fits = d == dim || x->shape[d] == x0->shape[d];
    if (!fits) {
      char s0[96], si[96];
      avs_seterr(AVS_ESHAPE, "concat: input %d %s does not fit input 0 %s along dim %d", i,
                 avs_shape_str(x->ndim, x->shape, si, sizeof si), avs_shape_str(x0->ndim, x0->shape, s0, sizeof s0), dim);
      return NULL;
    }
    shape[dim] += x->shape[dim];
  }
  avs_tensor *y = avs_ctx_tensor(ctx, x0->ndim, shape);
  if (!y) return NULL;
  int64_t outer = 1;
  for (int d = 0; d < dim; d++) outer *= shape[d];
  int64_t total = tail_numel(y, dim), off = 0;
  for (int i = 0; i < n; i++) {
    int64_t len = tail_numel(xs[i], dim);
    const float *xd = xs[i]->data;
    if (len) {
#pragma omp parallel for schedule(static) if (outer * len >= AVS_PAR_MIN)
      for (int64_t o = 0; o < outer; o++) memcpy(y->data + o * total + off, xd + o * len, sizeof(float) * len);
    }
    off += len;
  }
  if (avs_tape_wants(ctx, n, xs)) {
    concat_saved *s = avs_ctx_alloc(ctx, sizeof *s);
    if (!s) return NULL;
    s->dim = dim;
    s->outer = outer;
    avs_node *node = avs_tape_push(ctx, "concat", concat_backward, y, n, xs);
    if (node) node->saved = s, node->sets_fresh = true;
  }
  return y;
}

/* ---- slice ---- */

typedef struct {
  int64_t outer, inner, start, step, count, in_len; /* count: y's size along dim, in_len: x's */
} slice_saved;

static void slice_backward(avs_ctx *ctx, avs_node *node) {
  (void)ctx;
  const slice_saved *s = node->saved;
  const avs_tensor *y = node->out;
  float *gx = node->in[0]->grad;
  int64_t count = s->count, rows = s->outer * count;
  if (!s->inner) return;
#pragma omp parallel for schedule(static) if (y->numel >= AVS_PAR_MIN)
  for (int64_t r = 0; r < rows; r++) {
    int64_t o = r / count, k = r % count;
    add_into(gx + (o * s->in_len + s->start + k * s->step) * s->inner, y->grad + r * s->inner, s->inner);
  }
}

avs_tensor *avs_slice(avs_ctx *ctx, avs_tensor *x, int dim, int64_t start, int64_t end, int64_t step) {
  if (!x) return NULL;
  if (!norm_dim(&dim, x->ndim, "slice")) return NULL;
  if (step < 1) {
    avs_seterr(AVS_EINVAL, "slice: step %lld must be >= 1", (long long)step);
    return NULL;
  }
  /* Python's rules: negative positions count from the end, then clamp. */
  int64_t len = x->shape[dim];
  if (start < 0) start += len;
  if (end < 0) end += len;
  start = start < 0 ? 0 : start > len ? len : start;
  end = end < 0 ? 0 : end > len ? len : end;
  int64_t count = end > start ? (end - start + step - 1) / step : 0;
  int64_t shape[AVS_MAX_DIMS];
  memcpy(shape, x->shape, sizeof shape);
  shape[dim] = count;
  avs_tensor *y = avs_ctx_tensor(ctx, x->ndim, shape);
  if (!y) return NULL;
  slice_saved s = {.outer = 1, .inner = tail_numel(x, dim + 1), .start = start, .step = step,
                  .count = count, .in_len = len};
  for (int d = 0; d < dim; d++) s.outer *= x->shape[d];
  int64_t rows = s.outer * count;
  if (s.inner) {
#pragma omp parallel for schedule(static) if (y->numel >= AVS_PAR_MIN)
    for (int64_t r = 0; r < rows; r++) {
      int64_t o = r / count, k = r % count;
      memcpy(y->data + r * s.inner, x->data + (o * len + start + k * step) * s.inner, sizeof(float) * s.inner);
    }
  }
  if (avs_tape_wants(ctx, 1, &x)) {
    slice_saved *sv = avs_ctx_alloc(ctx, sizeof *sv);
    if (!sv) return NULL;
    *sv = s;
    avs_node *node = avs_tape_push(ctx, "slice", slice_backward, y, 1, &x);
    if (node) node->saved = sv;
  }
  return y;
}

/* ---- rows: y[j] = x[index[j]] along dim 0 ---- */

typedef struct {
  int64_t m, row; /* rows of y, floats per row */
  int *index;
} rows_saved;

static void rows_backward(avs_ctx *ctx, avs_node *node) {
  (void)ctx;
  const rows_saved *s = node->saved;
  float *gx = node->in[0]->grad;
  /* serial over j: two rows of y may come from one row of x */
  for (int64_t j = 0; j < s->m; j++) add_into(gx + s->index[j] * s->row, node->out->grad + j * s->row, s->row);
}

avs_tensor *avs_rows(avs_ctx *ctx, avs_tensor *x, const int *index, int64_t m) {
  if (!x) return NULL;
  if (x->ndim < 1 || m < 0) {
    avs_seterr(AVS_EINVAL, "rows: needs a tensor of rank >= 1 and m >= 0 (rank %d, m %lld)", x->ndim, (long long)m);
    return NULL;
  }
  bool identity = m == x->shape[0];
  for (int64_t j = 0; j < m; j++) {
    if (index[j] < 0 || index[j] >= x->shape[0]) {
      avs_seterr(AVS_EINVAL, "rows: index %d of row %lld is outside 0..%lld", index[j], (long long)j,
                 (long long)x->shape[0] - 1);
      return NULL;
    }
    identity = identity && index[j] == j;
  }
  if (identity) return x;
  int64_t shape[AVS_MAX_DIMS];
  memcpy(shape, x->shape, sizeof shape);
  shape[0] = m;
  avs_tensor *y = avs_ctx_tensor(ctx, x->ndim, shape);
  if (!y) return NULL;
  int64_t row = tail_numel(x, 1);
  for (int64_t j = 0; j < m && row; j++) memcpy(y->data + j * row, x->data + index[j] * row, sizeof(float) * row);
  if (avs_tape_wants(ctx, 1, &x)) {
    rows_saved *sv = avs_ctx_alloc(ctx, sizeof *sv);
    int *ix = avs_ctx_alloc(ctx, sizeof *ix * (size_t)(m ? m : 1));
    if (!sv || !ix) return NULL;
    memcpy(ix, index, sizeof *ix * (size_t)m);
    *sv = (rows_saved){.m = m, .row = row, .index = ix};
    avs_node *node = avs_tape_push(ctx, "rows", rows_backward, y, 1, &x);
    if (node) node->saved = sv;
  }
  return y;
}

/* ---- pad: zeros around the spatial dims of (N, S1.., C) ----
 * Rows are the output positions over (N, S1 .. S_{k-1}); along the last
 * spatial dim a row is [before zeros][input W*C][after zeros]. */

typedef struct {
  int ns;                          /* spatial dims */
  int64_t in[AVS_MAX_DIMS];        /* x's shape */
  int64_t out[AVS_MAX_DIMS];       /* y's shape */
  int64_t before[AVS_MAX_DIMS];    /* indexed by dim (1..ns) */
} pad_plan;

/* Input row offset (in rows of the last spatial dim) of output row r, or -1 if
 * r lies in the padding. */
static int64_t pad_src_row(const pad_plan *p, int64_t r) {
  int64_t src = 0, mul = 1, rem = r;
  for (int d = p->ns - 1; d >= 1; d--) { /* spatial dims before the last one */
    int64_t c = rem % p->out[d] - p->before[d];
    rem /= p->out[d];
    if (c < 0 || c >= p->in[d]) return -1;
    src += c * mul;
    mul *= p->in[d];
  }
  return src + rem * mul; /* rem is the batch index */
}

static int64_t pad_rows(const pad_plan *p) {
  int64_t rows = p->out[0];
  for (int d = 1; d < p->ns; d++) rows *= p->out[d];
  return rows;
}

static void pad_backward(avs_ctx *ctx, avs_node *node) {
  (void)ctx;
  const pad_plan *p = node->saved;
  int ns = p->ns;
  int64_t c = p->in[ns + 1], in_row = p->in[ns] * c, out_row = p->out[ns] * c, rows = pad_rows(p);
  int64_t lead = p->before[ns] * c;
  float *gx = node->in[0]->grad;
  const float *gy = node->out->grad;
#pragma omp parallel for schedule(static) if (node->out->numel >= AVS_PAR_MIN)
  for (int64_t r = 0; r < rows; r++) {
    int64_t src = pad_src_row(p, r);
    if (src >= 0) add_into(gx + src * in_row, gy + r * out_row + lead, in_row);
  }
}

avs_tensor *avs_pad(avs_ctx *ctx, avs_tensor *x, const int *before, const int *after) {
  if (!x) return NULL;
  if (x->ndim < 3) {
    avs_seterr(AVS_ESHAPE, "pad: needs (N, spatial.., C), got %d dims", x->ndim);
    return NULL;
  }
  pad_plan p = {.ns = x->ndim - 2};
  memcpy(p.in, x->shape, sizeof p.in);
  memcpy(p.out, x->shape, sizeof p.out);
  for (int i = 0; i < p.ns; i++) {
    if (before[i] < 0 || after[i] < 0) {
      avs_seterr(AVS_EINVAL, "pad: negative padding %d/%d of spatial dim %d", before[i], after[i], i);
      return NULL;
    }
    p.before[i + 1] = before[i];
    p.out[i + 1] += before[i] + after[i];
  }
  avs_tensor *y = avs_ctx_tensor(ctx, x->ndim, p.out);
  if (!y) return NULL;
  int ns = p.ns;
  int64_t c = p.in[ns + 1], in_row = p.in[ns] * c, out_row = p.out[ns] * c, rows = pad_rows(&p);
  int64_t lead = p.before[ns] * c, trail = out_row - lead - in_row;
#pragma omp parallel for schedule(static) if (y->numel >= AVS_PAR_MIN)
  for (int64_t r = 0; r < rows; r++) {
    float *yr = y->data + r * out_row;
    int64_t src = pad_src_row(&p, r);
    if (src < 0) {
      memset(yr, 0, sizeof(float) * out_row);
      continue;
    }
    memset(yr, 0, sizeof(float) * lead);
    memcpy(yr + lead, x->data + src * in_row, sizeof(float) * in_row);
    memset(yr + lead + in_row, 0, sizeof(float) * trail);
  }
  if (avs_tape_wants(ctx, 1, &x)) {
    pad_plan *sv = avs_ctx_alloc(ctx, sizeof *sv);
    if (!sv) return NULL;
    *sv = p;
    avs_node *node = avs_tape_push(ctx, "pad", pad_backward, y, 1, &x);
    if (node) node->saved = sv;
  }
  return y;
}

/* ---- detach: a copy the tape does not see (a target that gets no gradient) ---- */

avs_tensor *avs_detach(avs_ctx *ctx, avs_tensor *x) {
  if (!x) return NULL;
  avs_tensor *y = avs_op_like(ctx, x);
  if (y) memcpy(y->data, x->data, sizeof(float) * (size_t)x->numel);
  return y;
}
