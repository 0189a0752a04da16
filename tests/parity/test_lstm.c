/* avs_lstm against torch.nn.LSTM(batch_first=True) (gen_lstm.py): uni- and
 * bidirectional, with and without biases; output, grad of x and of all weights.
 * Tolerances (|got-want| <= atol + rtol*|want|):
 *   forward   atol 1e-5, rtol 1e-4
 *   gradients atol 1e-5, rtol 1e-3   (sgemm accumulation order differs from PyTorch) */
#include <stdio.h>
#include <string.h>

#include "tests/harness.h"

#define FWD_ATOL 1e-5f
#define FWD_RTOL 1e-4f
#define GRAD_ATOL 1e-5f
#define GRAD_RTOL 1e-3f

static const char *names[8] = {"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                               "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse",
                               "bias_hh_l0_reverse"};

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  avs_st *st = tst_open(argv[1]);
  char cases[1024];
  snprintf(cases, sizeof cases, "%s", tst_meta_str(st, "cases"));
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = true});
  for (char *cs = strtok(cases, ","); cs; cs = strtok(NULL, ",")) {
    bool bidir = tst_meta_int(st, "%s.bidirectional", cs), bias = tst_meta_int(st, "%s.bias", cs);
    avs_tensor *x = tst_tensor(st, "%s.x", cs), *p[8] = {0};
    for (int i = 0; i < (bidir ? 8 : 4); i++)
      if (bias || i % 4 < 2) p[i] = tst_tensor(st, "%s.%s", cs, names[i]);
    avs_lstm_w w = {p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], bidir};
    avs_tensor *y = avs_lstm(ctx, x, &w);
    if (tst_true(y != NULL, "%s runs %s", cs, y ? "" : avs_errmsg())) {
      avs_tensor *gy = tst_tensor(st, "%s.gy", cs);
      tst_close_ref(st, cs, "y", y->data, FWD_ATOL, FWD_RTOL);
      tst_true(avs_backward_from(ctx, y, gy->data) == 0, "%s backward %s", cs, avs_errmsg());
      tst_close_ref(st, cs, "gx", x->grad, GRAD_ATOL, GRAD_RTOL);
      for (int i = 0; i < 8; i++)
        if (p[i]) {
          char g[64];
          snprintf(g, sizeof g, "g_%s", names[i]);
          tst_close_ref(st, cs, g, p[i]->grad, GRAD_ATOL, GRAD_RTOL);
        }
      avs_tensor_free(&gy);
    }
    /* inference (no tape) gives the same output */
    avs_ctx_reset(ctx);
    avs_ctx_set_train(ctx, false);
    avs_tensor *y2 = avs_lstm(ctx, x, &w);
    if (tst_true(y2 != NULL, "%s runs without tape", cs)) tst_close_ref(st, cs, "y", y2->data, FWD_ATOL, FWD_RTOL);
    avs_ctx_set_train(ctx, true);
    avs_ctx_reset(ctx);
    avs_tensor_free(&x);
    for (int i = 0; i < 8; i++) avs_tensor_free(&p[i]);
  }
  /* bad shapes are reported with the tensor's name */
  avs_tensor *x = avs_tensor_new(3, AVS_SHAPE(2, 3, 4)), *wi = avs_tensor_new(2, AVS_SHAPE(8, 4)),
             *wh = avs_tensor_new(2, AVS_SHAPE(8, 3)), *wh2 = avs_tensor_new(2, AVS_SHAPE(8, 2));
  avs_lstm_w w = {wi, wh, NULL, NULL, NULL, NULL, NULL, NULL, false};
  tst_true(avs_lstm(ctx, x, &w) == NULL && strstr(avs_errmsg(), "weight_hh"), "bad weight_hh: %s", avs_errmsg());
  w.w_hh = wh2, w.bidirectional = true;
  tst_true(avs_lstm(ctx, x, &w) == NULL && strstr(avs_errmsg(), "_reverse"), "missing reverse: %s", avs_errmsg());
  avs_tensor_free(&x), avs_tensor_free(&wi), avs_tensor_free(&wh), avs_tensor_free(&wh2);
  avs_ctx_free(&ctx);
  avs_st_close(&st);
  return tst_finish();
}
