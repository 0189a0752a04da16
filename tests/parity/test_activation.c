/* Element-wise activations against PyTorch: forward 1e-6 abs, gradients 1e-6 abs
 * (the same float32 arithmetic, so only rounding differs). */
#include <stdio.h>
#include <string.h>

#include "tests/harness.h"

static avs_tensor *run(avs_ctx *ctx, const char *name, avs_tensor *x, avs_st *st) {
  if (!strcmp(name, "relu")) return avs_relu(ctx, x);
  if (!strcmp(name, "leaky_relu")) return avs_leaky_relu(ctx, x, (float)tst_meta_float(st, "%s.slope", name));
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  avs_st *st = tst_open(argv[1]);
  char cases[1024];
  snprintf(cases, sizeof cases, "%s", tst_meta_str(st, "cases"));
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = true});
  for (char *name = strtok(cases, ","); name; name = strtok(NULL, ",")) {
    avs_tensor *x = tst_tensor(st, "%s.x", name), *y_ref = tst_tensor(st, "%s.y", name);
    avs_tensor *gy = tst_tensor(st, "%s.gy", name), *gx_ref = tst_tensor(st, "%s.gx", name);
    avs_tensor *y = run(ctx, name, x, st);
    if (!tst_true(y != NULL, "%s runs (%s)", name, avs_errmsg())) continue;
    char what[96];
    snprintf(what, sizeof what, "%s forward", name);
    tst_close(what, y->data, y_ref->data, y->numel, 1e-6f, 1e-6f);
    avs_backward_from(ctx, y, gy->data);
    snprintf(what, sizeof what, "%s grad x", name);
    tst_close(what, x->grad, gx_ref->data, x->numel, 1e-6f, 1e-6f);
    avs_ctx_reset(ctx);
    avs_tensor_free(&x), avs_tensor_free(&y_ref), avs_tensor_free(&gy), avs_tensor_free(&gx_ref);
  }
  avs_ctx_free(&ctx);
  avs_st_close(&st);
  return tst_finish();
}
