/* Finite-difference checks of avs_attention's fused backward (separate q, k,
 * v and one tensor as all three) and of avs_mha (every weight). Default
 * gc_check tolerances (atol 2e-3, rtol 2e-2). */
#include "tests/gradcheck/gradcheck.h"

static avs_tensor *f_attention(avs_ctx *ctx, avs_tensor **in, void *arg) {
  return avs_attention(ctx, in[0], in[1], in[2], *(int *)arg);
}
static avs_tensor *f_self_attention(avs_ctx *ctx, avs_tensor **in, void *arg) {
  return avs_attention(ctx, in[0], in[0], in[0], *(int *)arg);
}
static avs_tensor *f_mha(avs_ctx *ctx, avs_tensor **in, void *arg) {
  avs_mha_w w = {in[3], in[4], in[5], in[6], *(int *)arg};
  return avs_mha(ctx, in[0], in[1], in[2], &w);
}

int main(void) {
  const int64_t N = 2, LQ = 3, LK = 5, E = 8;
  int heads = 2;
  avs_tensor *in[7] = {avs_tensor_new(3, AVS_SHAPE(N, LQ, E)), avs_tensor_new(3, AVS_SHAPE(N, LK, E)),
                       avs_tensor_new(3, AVS_SHAPE(N, LK, E)), avs_tensor_new(2, AVS_SHAPE(3 * E, E)),
                       avs_tensor_new(1, AVS_SHAPE(3 * E)), avs_tensor_new(2, AVS_SHAPE(E, E)),
                       avs_tensor_new(1, AVS_SHAPE(E))};
  for (int i = 0; i < 7; i++) gc_fill(in[i], i < 3 ? -1.5f : -0.5f, i < 3 ? 1.5f : 0.5f, 100 + i);
  gc_check("attention 2 heads", f_attention, in, 3, &heads, (gc_opts){0});
  gc_check("self-attention 2 heads", f_self_attention, in, 1, &heads, (gc_opts){0});
  heads = 4;
  gc_check("attention 4 heads", f_attention, in, 3, &heads, (gc_opts){0});
  gc_check("mha 4 heads", f_mha, in, 7, &heads, (gc_opts){0});
  heads = 2;
  in[1]->requires_grad = false; /* a frozen key: only the other gradients flow */
  gc_check("mha 2 heads, k frozen", f_mha, in, 7, &heads, (gc_opts){0});
  for (int i = 0; i < 7; i++) avs_tensor_free(&in[i]);
  return tst_finish();
}
