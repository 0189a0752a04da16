/* Argument checking of the element-wise, shape, upsampling, normalisation and
 * loss ops: each bad call returns NULL with a message naming the op, and a
 * NULL input propagates as NULL. */
#include <string.h>

#include "tests/harness.h"

static void expect_fail(avs_tensor *y, const char *op, const char *what) {
  const char *msg = avs_errmsg();
  tst_true(!y && strstr(msg, op) == msg, "%s: %s rejected (\"%s\")", op, what, msg);
  avs_clearerr();
}

/* Tensor creation is the one place shapes are checked: sizes that overflow
 * int64 or exceed AVS_TENSOR_MAX_NUMEL fail with a message, never wrap. */
static void huge_shapes(avs_ctx *ctx) {
  const int64_t big = 2147483647;
  tst_true(avs_shape_numel(3, AVS_SHAPE(big, big, big)) == INT64_MAX, "numel of an overflowing shape saturates");
  int64_t n = -1;
  tst_true(avs_shape_check(3, AVS_SHAPE(big, big, big), &n) == AVS_ENOMEM && n == 0 &&
               strstr(avs_errmsg(), "(2147483647, 2147483647, 2147483647) is too large"),
           "an overflowing shape is refused: %s", avs_errmsg());
  tst_true(avs_shape_check(2, AVS_SHAPE((1 << 18) + 1, 1 << 18), &n) == AVS_ENOMEM,
           "over 2^36 elements: refused: %s", avs_errmsg());
  tst_true(avs_shape_check(2, AVS_SHAPE(1 << 18, 1 << 18), &n) == AVS_OK && n == AVS_TENSOR_MAX_NUMEL,
           "2^36 elements: accepted by the check");
  tst_true(!avs_tensor_new(5, AVS_SHAPE(8, big, big, big, 3)) && strstr(avs_errmsg(), "too large"),
           "avs_tensor_new refuses it: %s", avs_errmsg());
  tst_true(!avs_ctx_tensor(ctx, 4, AVS_SHAPE(big, big, big, 4)) && strstr(avs_errmsg(), "too large"),
           "avs_ctx_tensor refuses it: %s", avs_errmsg());
  tst_true(!avs_ctx_alloc(ctx, (size_t)-824633720832) && strstr(avs_errmsg(), "too large"),
           "a negative size cast to size_t is refused: %s", avs_errmsg());
  avs_clearerr();
}

int main(void) {
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = true});
  huge_shapes(ctx);
  avs_tensor *x = avs_ctx_zeros(ctx, 4, AVS_SHAPE(2, 3, 4, 5));
  avs_tensor *c4 = avs_ctx_zeros(ctx, 1, AVS_SHAPE(4));
  avs_tensor *s = avs_ctx_zeros(ctx, 0, NULL);

  expect_fail(avs_add(ctx, x, c4), "add", "b (4) against a (2,3,4,5)");
  expect_fail(avs_mul(ctx, c4, x), "mul", "b with more dims than a");
  expect_fail(avs_softmax(ctx, s), "softmax", "a 0-dim input");
  expect_fail(avs_reshape(ctx, x, 2, AVS_SHAPE(7, -1)), "reshape", "-1 that does not divide");
  expect_fail(avs_reshape(ctx, x, 2, AVS_SHAPE(-1, -1)), "reshape", "two -1");
  expect_fail(avs_reshape(ctx, x, 2, AVS_SHAPE(10, 10)), "reshape", "a different element count");
  expect_fail(avs_permute(ctx, x, (int[]){0, 1, 1, 3}), "permute", "a repeated dim");
  expect_fail(avs_permute(ctx, x, (int[]){0, 1, 2, 4}), "permute", "a dim out of range");
  avs_tensor *pair[2] = {x, c4};
  expect_fail(avs_concat(ctx, 2, pair, 0), "concat", "different ranks");
  expect_fail(avs_concat(ctx, 1, pair, 4), "concat", "dim out of range");
  expect_fail(avs_concat(ctx, 0, pair, 0), "concat", "no tensors");
  expect_fail(avs_slice(ctx, x, 1, 0, 2, 0), "slice", "step 0");
  expect_fail(avs_pad(ctx, x, (int[]){0, -1}, (int[]){0, 0}), "pad", "negative padding");
  expect_fail(avs_pad(ctx, c4, (int[]){0}, (int[]){0}), "pad", "a 1-dim input");
  expect_fail(avs_upsample_nearest2d(ctx, x, 0, 4), "upsample_nearest2d", "output size 0");
  expect_fail(avs_upsample_nearest3d(ctx, x, 2, 2, 2), "upsample_nearest3d", "a 4-dim input");
  expect_fail(avs_upsample_bilinear2d(ctx, c4, 2, 2, false), "upsample_bilinear2d", "a 1-dim input");
  expect_fail(avs_layer_norm(ctx, x, c4, NULL, 0), "layer_norm", "a weight of the wrong size");
  expect_fail(avs_mse_loss(ctx, x, c4), "mse_loss", "a target of another shape");
  expect_fail(avs_bce_loss(ctx, x, x, c4), "bce_loss", "a weight of another shape");
  avs_tensor *p = avs_ctx_zeros(ctx, 1, AVS_SHAPE(3));
  p->data[1] = 1.5f;
  expect_fail(avs_bce_loss(ctx, p, p, NULL), "bce_loss", "a probability above 1");
  avs_tensor *logits = avs_ctx_zeros(ctx, 2, AVS_SHAPE(2, 3));
  expect_fail(avs_cross_entropy(ctx, logits, (int[]){0, 3}), "cross_entropy", "a label out of range");
  expect_fail(avs_cross_entropy(ctx, x, (int[]){0, 0}), "cross_entropy", "4-dim logits");
  expect_fail(avs_info_nce(ctx, logits, logits, 0.0f), "info_nce", "temperature 0");
  expect_fail(avs_info_nce(ctx, logits, x, 0.1f), "info_nce", "mismatched operands");
  expect_fail(avs_mean(ctx, avs_ctx_zeros(ctx, 1, AVS_SHAPE(0))), "mean", "an empty input");

  /* NULL in, NULL out (the error of the failed op upstream stays) */
  tst_true(!avs_sigmoid(ctx, NULL) && !avs_add(ctx, x, NULL) && !avs_concat(ctx, 2, (avs_tensor *[]){x, NULL}, 0) &&
               !avs_layer_norm(ctx, NULL, NULL, NULL, 0) && !avs_cross_entropy(ctx, NULL, NULL) &&
               !avs_upsample_bilinear2d(ctx, NULL, 2, 2, true),
           "NULL inputs propagate");

  /* empty tensors pass through the element-wise and shape ops */
  avs_tensor *e = avs_ctx_zeros(ctx, 2, AVS_SHAPE(0, 4));
  avs_tensor *ye = avs_softmax(ctx, avs_add(ctx, avs_slice(ctx, x, 0, 5, 9, 1), avs_ctx_zeros(ctx, 1, AVS_SHAPE(5))));
  tst_true(ye && ye->numel == 0 && ye->shape[0] == 0, "an empty slice flows through add and softmax");
  tst_true(avs_sum(ctx, e) && avs_sum(ctx, e)->data[0] == 0.0f, "the sum of an empty tensor is 0");
  avs_ctx_free(&ctx);
  return tst_finish();
}
