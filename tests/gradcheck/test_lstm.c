/* Finite-difference checks of avs_lstm's backward through time: uni- and
 * bidirectional, with biases, gradients of x and of every weight. Default
 * gc_check tolerances (atol 2e-3, rtol 2e-2). */
#include "tests/gradcheck/gradcheck.h"

static avs_tensor *f_lstm(avs_ctx *ctx, avs_tensor **in, void *arg) {
  bool bi = *(bool *)arg;
  avs_lstm_w w = {in[1], in[2], in[3], in[4], in[5], in[6], in[7], in[8], bi};
  return avs_lstm(ctx, in[0], &w);
}

int main(void) {
  const int64_t N = 2, L = 4, I = 3, H = 5;
  avs_tensor *in[9] = {avs_tensor_new(3, AVS_SHAPE(N, L, I))};
  for (int d = 0; d < 2; d++) {
    in[1 + 4 * d] = avs_tensor_new(2, AVS_SHAPE(4 * H, I));
    in[2 + 4 * d] = avs_tensor_new(2, AVS_SHAPE(4 * H, H));
    in[3 + 4 * d] = avs_tensor_new(1, AVS_SHAPE(4 * H));
    in[4 + 4 * d] = avs_tensor_new(1, AVS_SHAPE(4 * H));
  }
  gc_fill(in[0], -1, 1, 7);
  for (int i = 1; i < 9; i++) gc_fill(in[i], -0.6f, 0.6f, 50 + i);
  bool bi = false;
  gc_check("lstm", f_lstm, in, 5, &bi, (gc_opts){0});
  bi = true;
  gc_check("lstm bidirectional", f_lstm, in, 9, &bi, (gc_opts){0});
  for (int i = 0; i < 9; i++) avs_tensor_free(&in[i]);
  return tst_finish();
}
