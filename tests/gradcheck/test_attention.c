/* Finite-difference checks of avs_attention's fused backward (separate q, k,
 * v and one tensor as all three), of its two halves avs_attention_weights and
 * avs_attention_apply (the weights alone, and the weights used twice: as an
 * output and applied to v), of avs_mha and avs_mha_weights (every weight).
 * Default gc_check tolerances (atol 2e-3, rtol 2e-2). */
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

static avs_tensor *f_weights(avs_ctx *ctx, avs_tensor **in, void *arg) {
  return avs_attention_weights(ctx, in[0], in[1], *(int *)arg);
}
/* (weights, weights applied to v), flattened side by side: both paths reach the weights' gradient. */
static avs_tensor *both(avs_ctx *ctx, avs_tensor *p, avs_tensor *y) {
  if (!p || !y) return NULL;
  avs_tensor *a = avs_reshape(ctx, p, 2, AVS_SHAPE(p->shape[0], -1)), *b = avs_reshape(ctx, y, 2, AVS_SHAPE(y->shape[0], -1));
  return avs_concat(ctx, 2, (avs_tensor *[]){a, b}, 1);
}
static avs_tensor *f_split(avs_ctx *ctx, avs_tensor **in, void *arg) {
  avs_tensor *p = avs_attention_weights(ctx, in[0], in[1], *(int *)arg);
  return both(ctx, p, avs_attention_apply(ctx, p, in[2]));
}
static avs_tensor *f_mha_weights(avs_ctx *ctx, avs_tensor **in, void *arg) {
  avs_mha_w w = {in[3], in[4], in[5], in[6], *(int *)arg};
  avs_tensor *p = NULL, *y = avs_mha_weights(ctx, in[0], in[1], in[2], &w, &p);
  return both(ctx, p, y);
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
  gc_check("attention weights 4 heads", f_weights, in, 2, &heads, (gc_opts){0});
  gc_check("attention weights + apply 4 heads", f_split, in, 3, &heads, (gc_opts){0});
  gc_check("mha with weights 4 heads", f_mha_weights, in, 7, &heads, (gc_opts){0});
  heads = 2;
  in[1]->requires_grad = false; /* a frozen key: only the other gradients flow */
  gc_check("mha 2 heads, k frozen", f_mha, in, 7, &heads, (gc_opts){0});
  gc_check("attention weights + apply 2 heads, k frozen", f_split, in, 3, &heads, (gc_opts){0});
  for (int i = 0; i < 7; i++) avs_tensor_free(&in[i]);
  return tst_finish();
}
