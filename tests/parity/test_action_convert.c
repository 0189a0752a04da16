/* A torchvision r3d_18 state_dict converted with tools/pth2st.py loads
 * through the action-model registry (avs.arch and classes from its metadata,
 * every name and shape checked) and gives torchvision's eval-mode logits for
 * a 3x16x112x112 clip (gen_action_convert.py). Tolerance: 1e-4 relative plus
 * 1e-4 * max|logit| absolute (float32 on both sides, different summation
 * orders over 33 M weights). The converted file (about 133 MB) is removed at
 * the end. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tests/harness.h"
#include "video/models/registry.h"

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  avs_st *st = tst_open(argv[1]);
  char path[1024];
  tst_beside(path, sizeof path, argv[1], tst_meta_str(st, "model"));

  avs_action_model *m = NULL;
  int rc = avs_action_model_load(path, &m);
  if (tst_true(!rc, "load %s: %s", path, rc ? avs_errmsg() : "ok")) {
    avs_action_model *other = NULL;
    tst_true(avs_action_model_load_arch(path, "c3d", &other) && strstr(avs_errmsg(), "'r3d_18', expected 'c3d'"),
             "loading it as c3d is refused: %s", avs_errmsg());
    const avs_action_base *b = avs_action_model_base(m);
    tst_true(!strcmp(m->arch->name, "r3d_18") && b->classes == 10, "architecture %s, %d classes from the metadata",
             m->arch->name, b->classes);
    avs_tensor *x = tst_input(st, "x"), *want = tst_tensor(st, "logits");
    avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = false});
    avs_tensor *y = avs_action_model_forward(ctx, m, x);
    if (tst_true(y && y->numel == want->numel, "forward: %s", y ? "ok" : avs_errmsg())) {
      float amax = 0;
      for (int i = 0; i < want->numel; i++) amax = amax > fabsf(want->data[i]) ? amax : fabsf(want->data[i]);
      tst_close("r3d_18 logits vs torchvision", y->data, want->data, want->numel, 1e-4f * amax, 1e-4f);
    }
    avs_ctx_free(&ctx);
    tst_input_free(&x), avs_tensor_free(&want);
  }
  avs_model_free(&m);
  unlink(path);
  avs_st_close(&st);
  return tst_finish();
}
