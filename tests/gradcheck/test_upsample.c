/* Finite-difference checks of upsampling's backward (linear in the input). */
#include <stdio.h>

#include "tests/gradcheck/gradcheck.h"

typedef struct {
  int t, h, w;
  bool align_corners;
} size3;

static avs_tensor *f_nearest2d(avs_ctx *c, avs_tensor **in, void *a) {
  size3 *s = a;
  return avs_upsample_nearest2d(c, in[0], s->h, s->w);
}
static avs_tensor *f_bilinear(avs_ctx *c, avs_tensor **in, void *a) {
  size3 *s = a;
  return avs_upsample_bilinear2d(c, in[0], s->h, s->w, s->align_corners);
}
static avs_tensor *f_nearest3d(avs_ctx *c, avs_tensor **in, void *a) {
  size3 *s = a;
  return avs_upsample_nearest3d(c, in[0], s->t, s->h, s->w);
}

int main(void) {
  avs_tensor *x = avs_tensor_new(4, AVS_SHAPE(2, 3, 4, 3));
  gc_fill(x, -1, 1, 1);
  gc_opts o = {.atol = 1e-4, .rtol = 1e-3, .max_checks = 72};
  /* from (3, 4): twice, odd factors, down, the same size */
  size3 sizes[] = {{1, 6, 8, false}, {1, 5, 7, false}, {1, 2, 3, false}, {1, 3, 4, false}};
  const char *names[] = {"x2", "odd", "down", "same"};
  for (int i = 0; i < 4; i++) {
    char name[64];
    snprintf(name, sizeof name, "nearest2d_%s", names[i]);
    gc_check(name, f_nearest2d, &x, 1, &sizes[i], o);
    for (int ac = 0; ac < 2; ac++) {
      sizes[i].align_corners = ac;
      snprintf(name, sizeof name, "bilinear_%s%s", names[i], ac ? "_align_corners" : "");
      gc_check(name, f_bilinear, &x, 1, &sizes[i], o);
    }
  }
  avs_tensor *v = avs_tensor_new(5, AVS_SHAPE(1, 2, 3, 3, 2));
  gc_fill(v, -1, 1, 2);
  size3 s3[] = {{4, 6, 6, false}, {3, 2, 5, false}};
  gc_check("nearest3d_x2", f_nearest3d, &v, 1, &s3[0], o);
  gc_check("nearest3d_mixed", f_nearest3d, &v, 1, &s3[1], o);
  avs_tensor_free(&x), avs_tensor_free(&v);
  return tst_finish();
}
