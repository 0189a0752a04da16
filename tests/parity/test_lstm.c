/* avs_lstm against torch.nn.LSTM(batch_first=True) (gen_lstm.py, the op-case
 * runner): uni- and bidirectional, with and without biases; output, grad of x
 * and of all weights. Forward atol 1e-5 / rtol 1e-4, gradients 1e-5 / 1e-3
 * (sgemm accumulation order differs from PyTorch). Per case also: inference
 * (no tape) gives the same output. Then bad shapes. */
#include "tests/parity/op_cases.h"

static const oc_tol tols[] = {
    {"lstm", 1e-5f, 1e-4f, 1e-5f, 1e-3f},
    {NULL, 0, 0, 0, 0},
};

/* in: x, then weight_ih, weight_hh, [bias_ih, bias_hh] and the same reversed */
static avs_tensor *run(avs_ctx *ctx, avs_st *st, const char *name, const char *op, avs_tensor **in, int n) {
  (void)op;
  bool bidir = tst_meta_int(st, "%s.bidirectional", name), bias = tst_meta_int(st, "%s.bias", name);
  avs_tensor *p[8] = {0};
  int j = 1;
  for (int i = 0; i < (bidir ? 8 : 4); i++)
    if ((bias || i % 4 < 2) && j < n) p[i] = in[j++];
  if (j != n) return NULL;
  avs_lstm_w w = {p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], bidir};
  return avs_lstm(ctx, in[0], &w);
}

/* inference (no tape) gives the same output */
static void after(avs_ctx *ctx, avs_st *st, const char *name, const char *op, avs_tensor **in, int n, avs_tensor *y) {
  (void)y;
  avs_ctx_reset(ctx);
  avs_ctx_set_train(ctx, false);
  avs_tensor *y2 = run(ctx, st, name, op, in, n);
  if (tst_true(y2 != NULL, "%s runs without tape", name))
    tst_close_ref(st, name, "y", y2->data, tols[0].fwd_atol, tols[0].fwd_rtol);
}

/* bad shapes are reported with the tensor's name */
static void extra(avs_ctx *ctx) {
  avs_tensor *x = avs_tensor_new(3, AVS_SHAPE(2, 3, 4)), *wi = avs_tensor_new(2, AVS_SHAPE(8, 4)),
             *wh = avs_tensor_new(2, AVS_SHAPE(8, 3)), *wh2 = avs_tensor_new(2, AVS_SHAPE(8, 2));
  avs_lstm_w w = {wi, wh, NULL, NULL, NULL, NULL, NULL, NULL, false};
  tst_true(avs_lstm(ctx, x, &w) == NULL && strstr(avs_errmsg(), "weight_hh"), "bad weight_hh: %s", avs_errmsg());
  w.w_hh = wh2, w.bidirectional = true;
  tst_true(avs_lstm(ctx, x, &w) == NULL && strstr(avs_errmsg(), "_reverse"), "missing reverse: %s", avs_errmsg());
  avs_tensor_free(&x), avs_tensor_free(&wi), avs_tensor_free(&wh), avs_tensor_free(&wh2);
}

int main(int argc, char **argv) {
  return oc_run(argc, argv, &(oc_suite){.run = run, .tols = tols, .after = after, .extra = extra});
}
