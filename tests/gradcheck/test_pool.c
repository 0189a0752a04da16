/* Finite-difference checks of the pooling backward kernels: max (inputs
 * spread apart so no perturbation changes an argmax), average (padding,
 * ceil mode with and without count_include_pad) and adaptive average. */
#include "tests/gradcheck/gradcheck.h"

typedef struct {
  int op; /* 0 max2d 1 max3d 2 avg2d 3 avg3d 4 adaptive2d 5 adaptive3d */
  avs_pool p;
  int out[3];
} pool_arg;

static avs_tensor *f_pool(avs_ctx *ctx, avs_tensor **in, void *arg) {
  pool_arg *a = arg;
  switch (a->op) {
    case 0: return avs_max_pool2d(ctx, in[0], a->p);
    case 1: return avs_max_pool3d(ctx, in[0], a->p);
    case 2: return avs_avg_pool2d(ctx, in[0], a->p);
    case 3: return avs_avg_pool3d(ctx, in[0], a->p);
    case 4: return avs_adaptive_avg_pool2d(ctx, in[0], a->out[0], a->out[1]);
    default: return avs_adaptive_avg_pool3d(ctx, in[0], a->out[0], a->out[1], a->out[2]);
  }
}

static void check(const char *name, int ndim, const int64_t *xs, pool_arg a) {
  avs_tensor *x = avs_tensor_new(ndim, xs);
  /* distinct values 0.05 apart in a shuffled order: steps of 1e-2 never change a max */
  avs_rng r;
  avs_rng_seed(&r, 7);
  for (int64_t i = 0; i < x->numel; i++) x->data[i] = 0.05f * (float)(i - x->numel / 2);
  for (int64_t i = x->numel - 1; i > 0; i--) {
    int64_t j = (int64_t)(avs_rng_uniform(&r) * (i + 1)) % (i + 1);
    float t = x->data[i];
    x->data[i] = x->data[j], x->data[j] = t;
  }
  gc_check(name, f_pool, &x, 1, &a, (gc_opts){0});
  avs_tensor_free(&x);
}

int main(void) {
  check("max_pool2d", 4, AVS_SHAPE(2, 7, 6, 3),
        (pool_arg){.op = 0, .p = {.kernel = {3, 2}, .stride = {2, 2}, .pad = {1, 1}, .ceil_mode = true}});
  check("max_pool3d", 5, AVS_SHAPE(1, 4, 5, 5, 2), (pool_arg){.op = 1, .p = {.kernel = {2, 3, 3}, .stride = {2, 2, 2}, .pad = {0, 1, 1}}});
  check("avg_pool2d_incl_ceil", 4, AVS_SHAPE(2, 6, 7, 2),
        (pool_arg){.op = 2, .p = {.kernel = {3, 3}, .stride = {2, 2}, .pad = {1, 1}, .ceil_mode = true, .count_include_pad = true}});
  check("avg_pool2d_excl", 4, AVS_SHAPE(1, 6, 5, 3),
        (pool_arg){.op = 2, .p = {.kernel = {3, 2}, .stride = {2, 1}, .pad = {1, 1}, .count_include_pad = false}});
  check("avg_pool3d_incl_ceil", 5, AVS_SHAPE(1, 3, 6, 5, 2),
        (pool_arg){.op = 3, .p = {.kernel = {2, 3, 3}, .stride = {2, 2, 2}, .pad = {0, 1, 1}, .ceil_mode = true, .count_include_pad = true}});
  check("adaptive_avg_pool2d", 4, AVS_SHAPE(2, 7, 5, 2), (pool_arg){.op = 4, .out = {3, 2}});
  check("adaptive_avg_pool3d", 5, AVS_SHAPE(1, 5, 4, 7, 2), (pool_arg){.op = 5, .out = {2, 3, 3}});
  return tst_finish();
}
