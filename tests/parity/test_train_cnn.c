/* Training parity: the small CNN of gen_train_cnn.py trained with avs from
 * PyTorch's initial weights on the same batches.
 *
 *   conv1 3->8 k3 pad1, bn1 (batch statistics), relu, max pool 2,
 *   conv2 8->16 k3 pad1, relu, adaptive avg pool 1, fc 16->4; cross entropy
 *
 * Checked against PyTorch 1.13 (why these tolerances: oneDNN and PyTorch sum
 * in different orders, so float32 rounding differs by ~1e-7 per op, and
 * training compounds it step by step):
 *   - first-step gradients of every parameter: 1e-4 relative (+1e-6 absolute);
 *   - SGD (momentum 0.9, weight decay 1e-4) loss at step k = 1..20 within
 *     rtol(k) = 1e-4 * 10^((k-1)/19), i.e. 1e-4 at step 1 growing to 1e-3 at step 20;
 *   - parameters and batch-norm running statistics after 20 steps: 2e-3 relative
 *     (+1e-4 absolute), and the eval-mode loss (running statistics) on a
 *     held-out batch then: 1e-3 relative;
 *   - Adam (lr 3e-3) loss over 20 steps with the same tolerance ramp;
 *   - the avs SGD run continues to 150 steps: the mean loss of its last 10
 *     steps must be below 0.1 (from 1.41 at the start; PyTorch's value, about
 *     0.01, is printed for comparison, with the largest relative difference of
 *     the later losses, which is not asserted: float32 rounding may make long
 *     trajectories drift apart on other CPUs).
 * Measured on the development machine (oneDNN + OpenBLAS, 2 threads): losses
 * within 1e-7 relative over the first 20 steps of both runs, first-step
 * gradients within 6e-5 relative, parameters after 20 steps within 3e-5, final
 * mean loss 0.0098 for both, at most 3e-3 relative apart over all 150 steps.
 * Mixed precision (where the CPU has AVX-512): the SGD run again with bf16 convolutions
 * forward and backward (fp32 weights, av/ctx.h): its loss over the first 20 steps within ten
 * times the ramp above (1e-3 .. 1e-2; measured on the Zen 5: 5e-4 at worst), and its final mean
 * loss below 0.1 (measured 0.0096). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/harness.h"

#define FINAL_LOSS_MAX 0.1
#define BF16_TOL_SCALE 10 /* bf16 runs: the loss ramp times 10 (1e-3 .. 1e-2); measured 5e-4 at worst */

enum { CONV1_W, CONV1_B, BN1_W, BN1_B, CONV2_W, CONV2_B, FC_W, FC_B, N_PARAMS };
static const char *param_names[N_PARAMS] = {"conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias",
                                            "conv2.weight", "conv2.bias", "fc.weight",  "fc.bias"};

typedef struct {
  avs_tensor *p[N_PARAMS];
  avs_tensor *running_mean, *running_var;
} net;

typedef struct {
  avs_st *st;
  int n, h, w, classes, batches;
  const float *x, *y; /* (B, N, H, W, 3), (B, N) */
} dataset;

static void net_init(net *m, avs_st *st) {
  for (int i = 0; i < N_PARAMS; i++) m->p[i] = tst_tensor(st, "init.%s", param_names[i]);
  m->running_mean = tst_tensor(st, "init.bn1.running_mean");
  m->running_var = tst_tensor(st, "init.bn1.running_var");
  m->running_mean->requires_grad = m->running_var->requires_grad = false; /* buffers */
}

static void net_free(net *m) {
  for (int i = 0; i < N_PARAMS; i++) avs_tensor_free(&m->p[i]);
  avs_tensor_free(&m->running_mean), avs_tensor_free(&m->running_var);
}

static avs_tensor *forward(avs_ctx *ctx, net *m, avs_tensor *x) {
  avs_bn bn = {.weight = m->p[BN1_W], .bias = m->p[BN1_B], .running_mean = m->running_mean,
               .running_var = m->running_var};
  avs_conv pad1 = {.pad = {1, 1}};
  avs_tensor *h = avs_conv2d(ctx, x, m->p[CONV1_W], m->p[CONV1_B], pad1);
  h = avs_max_pool2d(ctx, avs_relu(ctx, avs_batch_norm(ctx, h, &bn)), (avs_pool){.kernel = {2, 2}});
  h = avs_relu(ctx, avs_conv2d(ctx, h, m->p[CONV2_W], m->p[CONV2_B], pad1));
  h = avs_adaptive_avg_pool2d(ctx, h, 1, 1);
  h = avs_reshape(ctx, h, 2, AVS_SHAPE(x->shape[0], -1));
  return avs_linear(ctx, h, m->p[FC_W], m->p[FC_B]);
}

/* Cross-entropy loss of one batch; NULL (with the error printed) on failure. */
static avs_tensor *batch_loss(avs_ctx *ctx, net *m, const dataset *d, const float *x, const float *y) {
  int labels[256];
  AVS_ASSERT(d->n <= 256);
  for (int i = 0; i < d->n; i++) labels[i] = (int)y[i];
  avs_tensor *xt = avs_ctx_wrap(ctx, (float *)x, 4, AVS_SHAPE(d->n, d->h, d->w, 3));
  avs_tensor *loss = avs_cross_entropy(ctx, forward(ctx, m, xt), labels);
  if (!loss) printf("FAIL forward: %s\n", avs_errmsg());
  return loss;
}

/* Errors inside backward kernels reach the log, not avs_backward's status: count them. */
static int log_errors;
static char first_log_error[256];
static void on_log(avs_log_level level, const char *msg, void *user) {
  (void)user;
  if (level == AVS_LOG_ERROR && !log_errors++) snprintf(first_log_error, sizeof first_log_error, "%s", msg);
}

static double rtol_at(int step) { return 1e-4 * pow(10.0, (step - 1) / 19.0); } /* step counts from 1 */

/* Trains `steps` steps; compares the first `compare` losses with `ref_loss`
 * (steps_ref long); returns the mean loss of the last 10 steps (NAN on failure).
 * With st, also checks the first step's gradients and, after `check_after`
 * steps, the parameters, running statistics and an eval-mode loss. */
static double train(const char *name, net *m, avs_optim *opt, const dataset *d, int steps, int compare,
                    const float *ref_loss, int steps_ref, avs_st *st, int check_after, avs_precision precision,
                    double tol_scale) {
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = true});
  AVS_ASSERT(ctx);
  avs_ctx_set_precision(ctx, precision);
  log_errors = 0;
  double tail = 0, worst = 0, first = NAN, drift = 0; /* drift: worst rel difference after `compare` */
  int worst_step = 0, bad = 0;
  int64_t img = (int64_t)d->n * d->h * d->w * 3;
  for (int s = 0; s < steps; s++) {
    int b = s % d->batches;
    avs_optim_zero_grad(opt);
    avs_tensor *loss = batch_loss(ctx, m, d, d->x + b * img, d->y + (int64_t)b * d->n);
    if (!loss || avs_backward(ctx, loss) || log_errors) {
      tst_true(false, "%s step %d: %s", name, s + 1, log_errors ? first_log_error : avs_errmsg());
      avs_ctx_free(&ctx);
      return NAN;
    }
    double l = loss->data[0];
    if (s == 0) first = l;
    if (s >= compare && steps_ref > s) drift = fmax(drift, fabs(l - ref_loss[s]) / fabs(ref_loss[s]));
    if (s < compare) {
      double rel = fabs(l - ref_loss[s]) / fabs(ref_loss[s]);
      if (rel > worst) worst = rel, worst_step = s + 1;
      if (!(rel <= tol_scale * rtol_at(s + 1))) {
        bad++;
        printf("     %s step %2d: loss %.7f, PyTorch %.7f, rel %.2e > %.2e\n", name, s + 1, l, ref_loss[s], rel,
               tol_scale * rtol_at(s + 1));
      }
    }
    if (s == 0 && st) {
      for (int i = 0; i < N_PARAMS; i++) {
        avs_tensor *g = tst_tensor(st, "%s.grad0.%s", name, param_names[i]);
        char what[96];
        snprintf(what, sizeof what, "%s step 1 grad %s", name, param_names[i]);
        tst_close(what, m->p[i]->grad, g->data, g->numel, 1e-6f, 1e-4f);
        avs_tensor_free(&g);
      }
    }
    if (s >= steps - 10) tail += l / 10;
    avs_optim_step(opt);
    avs_ctx_reset(ctx);
    if (s + 1 == check_after && st) {
      for (int i = 0; i < N_PARAMS + 2; i++) {
        avs_tensor *t = i < N_PARAMS ? m->p[i] : i == N_PARAMS ? m->running_mean : m->running_var;
        const char *pn = i < N_PARAMS ? param_names[i] : i == N_PARAMS ? "bn1.running_mean" : "bn1.running_var";
        avs_tensor *want = tst_tensor(st, "%s.after%d.%s", name, check_after, pn);
        char what[96];
        snprintf(what, sizeof what, "%s after %d steps %s", name, check_after, pn);
        tst_close(what, t->data, want->data, want->numel, 1e-4f, 2e-3f);
        avs_tensor_free(&want);
      }
      /* Eval mode: batch norm with the running statistics, no tape. */
      avs_ctx_set_train(ctx, false);
      const float *hx, *hy;
      int ndim;
      int64_t shape[AVS_MAX_DIMS];
      AVS_ASSERT(!avs_st_get(st, "held_x", &ndim, shape, &hx) && !avs_st_get(st, "held_y", &ndim, shape, &hy));
      avs_tensor *el = batch_loss(ctx, m, d, hx, hy);
      avs_tensor *want = tst_tensor(st, "%s.eval%d", name, check_after);
      char what[96];
      snprintf(what, sizeof what, "%s eval-mode loss after %d steps", name, check_after);
      if (el) tst_close(what, el->data, want->data, 1, 0, 1e-3f);
      avs_tensor_free(&want);
      avs_ctx_reset(ctx);
      avs_ctx_set_train(ctx, true);
    }
  }
  tst_true(bad == 0, "%s loss over steps 1..%d within %.0e..%.0e rel (worst %.2e at step %d, its bound %.2e)",
           name, compare, tol_scale * rtol_at(1), tol_scale * rtol_at(20), worst, worst_step,
           worst_step ? tol_scale * rtol_at(worst_step) : 0);
  printf("     %s: %d steps, loss %.4f -> mean of last 10 %.4f\n", name, steps, first, tail);
  if (steps > compare)
    printf("     %s: steps %d..%d differ from PyTorch by at most %.2e rel (informative, not asserted)\n", name,
           compare + 1, steps, drift);
  avs_ctx_free(&ctx);
  return tail;
}

static const float *ref_data(avs_st *st, const char *name, int64_t numel) {
  int ndim;
  int64_t shape[AVS_MAX_DIMS];
  const float *p;
  if (avs_st_get(st, name, &ndim, shape, &p) || avs_shape_numel(ndim, shape) != numel) {
    printf("FAIL reference %s: %s\n", name, avs_errmsg());
    exit(1);
  }
  return p;
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  avs_log_set_callback(on_log, NULL);
  avs_st *st = tst_open(argv[1]);
  dataset d = {.st = st};
  d.n = (int)tst_meta_int(st, "N"), d.h = (int)tst_meta_int(st, "H"), d.w = (int)tst_meta_int(st, "W");
  d.classes = (int)tst_meta_int(st, "classes"), d.batches = (int)tst_meta_int(st, "batches");
  d.x = ref_data(st, "x", (int64_t)d.batches * d.n * d.h * d.w * 3);
  d.y = ref_data(st, "y", (int64_t)d.batches * d.n);
  int sgd_steps = (int)tst_meta_int(st, "sgd_steps"), adam_steps = (int)tst_meta_int(st, "adam_steps");
  int k = (int)tst_meta_int(st, "compare_steps");
  const float *sgd_loss = ref_data(st, "sgd.loss", sgd_steps), *adam_loss = ref_data(st, "adam.loss", adam_steps);

  net m;
  net_init(&m, st);
  avs_optim *opt = avs_sgd_new(m.p, N_PARAMS, (float)tst_meta_float(st, "sgd_lr"),
                               (float)tst_meta_float(st, "sgd_momentum"),
                               (float)tst_meta_float(st, "sgd_weight_decay"), false);
  AVS_ASSERT(opt);
  double tail = train("sgd", &m, opt, &d, sgd_steps, k, sgd_loss, sgd_steps, st, k, AVS_FP32, 1);
  double torch_tail = tst_meta_float(st, "sgd_final_loss");
  tst_true(tail < FINAL_LOSS_MAX, "sgd: mean loss of steps %d..%d is %.4f < %.2f (PyTorch: %.4f, start %.4f)",
           sgd_steps - 9, sgd_steps, tail, FINAL_LOSS_MAX, torch_tail, sgd_loss[0]);
  avs_optim_free(&opt);
  net_free(&m);

  net_init(&m, st);
  opt = avs_adam_new(m.p, N_PARAMS, (float)tst_meta_float(st, "adam_lr"), 0, 0, 0, 0, false);
  AVS_ASSERT(opt);
  train("adam", &m, opt, &d, adam_steps, adam_steps, adam_loss, adam_steps, NULL, 0, AVS_FP32, 1);
  avs_optim_free(&opt);
  net_free(&m);

  /* Mixed precision (avtrain --precision bf16): the same SGD run with bf16 convolutions both ways. */
  avs_precision bf16;
  if (avs_precision_parse("bf16", &bf16) == AVS_OK) {
    net_init(&m, st);
    opt = avs_sgd_new(m.p, N_PARAMS, (float)tst_meta_float(st, "sgd_lr"), (float)tst_meta_float(st, "sgd_momentum"),
                      (float)tst_meta_float(st, "sgd_weight_decay"), false);
    AVS_ASSERT(opt);
    tail = train("sgd bf16", &m, opt, &d, sgd_steps, k, sgd_loss, sgd_steps, NULL, 0, AVS_BF16, BF16_TOL_SCALE);
    tst_true(tail < FINAL_LOSS_MAX, "sgd bf16: mean loss of steps %d..%d is %.4f < %.2f (PyTorch fp32: %.4f)",
             sgd_steps - 9, sgd_steps, tail, FINAL_LOSS_MAX, torch_tail);
    avs_optim_free(&opt);
    net_free(&m);
  } else {
    printf("     sgd bf16 skipped: %s\n", avs_errmsg());
  }
  avs_st_close(&st);
  return tst_finish();
}
