/* Finite-difference checks of the shape ops' backward (each is linear, so
 * the check is tight). */
#include <stdio.h>

#include "tests/gradcheck/gradcheck.h"

static avs_tensor *f_reshape(avs_ctx *c, avs_tensor **in, void *a) {
  (void)a;
  return avs_reshape(c, in[0], 2, AVS_SHAPE(-1, 6));
}
static avs_tensor *f_permute(avs_ctx *c, avs_tensor **in, void *a) { return avs_permute(c, in[0], a); }
static avs_tensor *f_concat(avs_ctx *c, avs_tensor **in, void *a) { return avs_concat(c, 3, in, *(int *)a); }
static avs_tensor *f_concat_same(avs_ctx *c, avs_tensor **in, void *a) {
  (void)a;
  avs_tensor *xs[3] = {in[0], in[0], in[0]}; /* one tensor three times: the gradients add */
  return avs_concat(c, 3, xs, 1);
}
static avs_tensor *f_slice(avs_ctx *c, avs_tensor **in, void *a) {
  const int64_t *p = a;
  return avs_slice(c, in[0], (int)p[0], p[1], p[2], p[3]);
}
static avs_tensor *f_pad(avs_ctx *c, avs_tensor **in, void *a) {
  const int *p = a;
  return avs_pad(c, in[0], p, p + 3);
}
/* rows of dim 0, one repeated, one left out, then a multiply so the repeated rows' gradients differ */
static avs_tensor *f_rows(avs_ctx *c, avs_tensor **in, void *a) {
  avs_tensor *y = avs_rows(c, in[0], a, 4);
  return avs_mul(c, y, y);
}
/* a reshape (a view of its input's floats) between two ops that read it */
static avs_tensor *f_reshape_view(avs_ctx *c, avs_tensor **in, void *a) {
  (void)a;
  avs_tensor *y = avs_mul(c, in[0], in[0]), *r = avs_reshape(c, y, 2, AVS_SHAPE(-1, 6));
  return avs_add(c, avs_reshape(c, avs_mul(c, r, r), 4, AVS_SHAPE(2, 3, 4, 5)), y);
}
/* slices that overlap and a multiply, so the slices' gradients meet */
static avs_tensor *f_slices_mul(avs_ctx *c, avs_tensor **in, void *a) {
  (void)a;
  return avs_mul(c, avs_slice(c, in[0], 3, 0, 3, 1), avs_slice(c, in[0], 3, 2, 5, 1));
}

int main(void) {
  avs_tensor *x = avs_tensor_new(4, AVS_SHAPE(2, 3, 4, 5));
  gc_fill(x, -1, 1, 1);
  gc_opts o = {.atol = 1e-4, .rtol = 1e-3};
  gc_check("reshape", f_reshape, &x, 1, NULL, o);
  int perms[][4] = {{0, 3, 1, 2}, {3, 2, 1, 0}, {1, 0, 2, 3}};
  for (int i = 0; i < 3; i++) {
    char name[64];
    snprintf(name, sizeof name, "permute_%d%d%d%d", perms[i][0], perms[i][1], perms[i][2], perms[i][3]);
    gc_check(name, f_permute, &x, 1, perms[i], o);
  }
  avs_tensor *parts[3] = {avs_tensor_new(4, AVS_SHAPE(2, 3, 4, 2)), avs_tensor_new(4, AVS_SHAPE(2, 3, 4, 3)),
                          avs_tensor_new(4, AVS_SHAPE(2, 3, 4, 1))};
  for (int i = 0; i < 3; i++) gc_fill(parts[i], -1, 1, 10 + i);
  int dim = -1;
  gc_check("concat_channels", f_concat, parts, 3, &dim, o);
  parts[1]->requires_grad = false; /* a constant among the inputs */
  gc_check("concat_constant", f_concat, parts, 3, &dim, o);
  gc_check("concat_repeated", f_concat_same, &x, 1, NULL, o);
  int64_t sl[][4] = {{1, 0, 3, 2}, {3, -4, 5, 3}, {0, 1, 2, 1}};
  for (int i = 0; i < 3; i++) {
    char name[64];
    snprintf(name, sizeof name, "slice_dim%lld", (long long)sl[i][0]);
    gc_check(name, f_slice, &x, 1, sl[i], o);
  }
  gc_check("slice_overlap_mul", f_slices_mul, &x, 1, NULL, (gc_opts){0});
  int rows[4] = {1, 1, 0, 1};
  gc_check("rows_repeated", f_rows, &x, 1, rows, (gc_opts){0});
  gc_check("reshape_view", f_reshape_view, &x, 1, NULL, (gc_opts){0});
  int pad2[6] = {1, 0, 0, 2, 3, 0}; /* before (H,W) = (1,0), after = (2,3); the rest unused */
  gc_check("pad_2d", f_pad, &x, 1, pad2, o);
  avs_tensor *v = avs_tensor_new(5, AVS_SHAPE(1, 2, 3, 4, 2));
  gc_fill(v, -1, 1, 7);
  int pad3[6] = {1, 0, 2, 0, 1, 1};
  gc_check("pad_3d", f_pad, &v, 1, pad3, o);
  for (int i = 0; i < 3; i++) avs_tensor_free(&parts[i]);
  avs_tensor_free(&x), avs_tensor_free(&v);
  return tst_finish();
}
