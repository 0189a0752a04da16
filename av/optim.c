/* SGD and Adam/AdamW as torch.optim 1.13 (single-tensor, non-foreach path),
 * and torch.nn.utils.clip_grad_norm_. Parameters without a gradient are
 * skipped, as PyTorch skips params whose .grad is None; per-parameter state
 * (momentum buffer, moments, step count) is created on a parameter's first step. */
#include "av/optim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "av/ops/elem.h"
#include "av/params.h"
#include "av/status.h"

typedef enum { OPT_SGD, OPT_ADAM } opt_kind;

typedef struct {
  float *buf1, *buf2; /* SGD: momentum buffer; Adam: exp_avg, exp_avg_sq */
  int64_t step;
  float lr_scale;     /* this parameter's learning rate over the optimizer's (a param group's lr) */
} param_state;

struct avs_optim {
  opt_kind kind;
  int n;
  avs_tensor **params;
  param_state *state;
  float lr, momentum, weight_decay, beta1, beta2, eps;
  bool nesterov, decoupled;
};

static avs_optim *optim_new(opt_kind kind, avs_tensor *const *params, int n, float lr, float weight_decay) {
  if (n < 0 || (n > 0 && !params)) {
    avs_seterr(AVS_EINVAL, "optimizer: %d parameters", n);
    return NULL;
  }
  for (int i = 0; i < n; i++)
    if (!params[i]) {
      avs_seterr(AVS_EINVAL, "optimizer: parameter %d is NULL", i);
      return NULL;
    }
  if (!(lr >= 0) || !(weight_decay >= 0)) {
    avs_seterr(AVS_EINVAL, "optimizer: invalid learning rate %g or weight decay %g", lr, weight_decay);
    return NULL;
  }
  avs_optim *o = calloc(1, sizeof *o);
  if (!o) goto fail;
  o->params = malloc(sizeof *o->params * (n ? n : 1));
  o->state = calloc(n ? n : 1, sizeof *o->state);
  if (!o->params || !o->state) goto fail;
  memcpy(o->params, params, sizeof *o->params * n);
  for (int i = 0; i < n; i++) o->state[i].lr_scale = 1.0f;
  o->kind = kind, o->n = n, o->lr = lr, o->weight_decay = weight_decay;
  return o;
fail:
  avs_optim_free(&o);
  avs_seterr(AVS_ENOMEM, "out of memory for an optimizer");
  return NULL;
}

avs_optim *avs_sgd_new(avs_tensor *const *params, int n, float lr, float momentum, float weight_decay,
                       bool nesterov) {
  if (!(momentum >= 0) || (nesterov && momentum <= 0)) {
    avs_seterr(AVS_EINVAL, "sgd: momentum %g is invalid%s", momentum, nesterov ? " (Nesterov needs momentum > 0)" : "");
    return NULL;
  }
  avs_optim *o = optim_new(OPT_SGD, params, n, lr, weight_decay);
  if (o) o->momentum = momentum, o->nesterov = nesterov;
  return o;
}

avs_optim *avs_adam_new(avs_tensor *const *params, int n, float lr, float beta1, float beta2, float eps,
                        float weight_decay, bool decoupled) {
  if (beta1 == 0 && beta2 == 0) beta1 = 0.9f, beta2 = 0.999f;
  if (eps == 0) eps = 1e-8f;
  if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps > 0)) {
    avs_seterr(AVS_EINVAL, "adam: invalid betas (%g, %g) or eps %g", beta1, beta2, eps);
    return NULL;
  }
  avs_optim *o = optim_new(OPT_ADAM, params, n, lr, weight_decay);
  if (o) o->beta1 = beta1, o->beta2 = beta2, o->eps = eps, o->decoupled = decoupled;
  return o;
}

/* State buffers, zero-filled, allocated on a parameter's first step. An
 * allocation failure skips the parameter for this step (logged). */
static bool ensure_state(param_state *st, int64_t numel, int nbufs, const char *name) {
  if (st->buf1 && (nbufs < 2 || st->buf2)) return true;
  if (!st->buf1) st->buf1 = calloc(numel ? numel : 1, sizeof(float));
  if (nbufs == 2 && !st->buf2) st->buf2 = calloc(numel ? numel : 1, sizeof(float));
  if (st->buf1 && (nbufs < 2 || st->buf2)) return true;
  avs_log(AVS_LOG_ERROR, "optimizer: out of memory for the state of %s; not updated", name ? name : "a parameter");
  return false;
}

static bool sgd_step(const avs_optim *o, avs_tensor *p, param_state *st) {
  float *w = p->data, *g = p->grad, lr = o->lr * st->lr_scale, wd = o->weight_decay, mom = o->momentum;
  int64_t n = p->numel;
  if (mom == 0) {
#pragma omp parallel for simd schedule(static) if (n >= 65536)
    for (int64_t i = 0; i < n; i++) w[i] += -lr * (g[i] + wd * w[i]);
    return true;
  }
  if (!ensure_state(st, n, 1, p->name)) return false;
  float *buf = st->buf1;
  bool first = st->step == 0, nesterov = o->nesterov;
#pragma omp parallel for simd schedule(static) if (n >= 65536)
  for (int64_t i = 0; i < n; i++) {
    float d = g[i] + wd * w[i];
    float b = first ? d : buf[i] * mom + d; /* dampening 0; the first buffer is a copy of d */
    buf[i] = b;
    w[i] += -lr * (nesterov ? d + mom * b : b);
  }
  return true;
}

/* Adam's update of w[lo, hi), compiled per instruction set (AVS_SIMD_CLONES)
 * and without errno for sqrtf (the second moment is never negative) so that it
 * vectorizes: the scalar loop was compute bound on sqrt and two divisions. The
 * same IEEE operations in the same order, so bit-identical to it. */
typedef struct {
  float b1, b2, eps, decay, l2, step_size, bc2_sqrt;
} adam_coef;

AVS_SIMD_CLONES static void adam_k(float *restrict w, const float *restrict g, float *restrict m, float *restrict v,
                                    int64_t lo, int64_t hi, adam_coef c) {
#pragma omp simd
  for (int64_t i = lo; i < hi; i++) {
    float wi = w[i] * c.decay;      /* AdamW: param.mul_(1 - lr * weight_decay) */
    float gi = g[i] + c.l2 * wi;    /* Adam: grad.add(param, alpha=weight_decay) */
    float mi = m[i] * c.b1 + gi * (1 - c.b1);
    float vi = v[i] * c.b2 + gi * gi * (1 - c.b2);
    m[i] = mi, v[i] = vi;
    w[i] = wi + -c.step_size * (mi / (sqrtf(vi) / c.bc2_sqrt + c.eps));
  }
}

static bool adam_step(const avs_optim *o, avs_tensor *p, param_state *st) {
  if (!ensure_state(st, p->numel, 2, p->name)) return false;
  int64_t n = p->numel, step = st->step + 1;
  /* PyTorch computes the bias corrections in double (Python floats) */
  double bc1 = 1.0 - pow(o->beta1, (double)step), bc2 = 1.0 - pow(o->beta2, (double)step);
  float lr = o->lr * st->lr_scale, wd = o->weight_decay;
  adam_coef c = {.b1 = o->beta1, .b2 = o->beta2, .eps = o->eps, .step_size = (float)(lr / bc1),
                 .bc2_sqrt = (float)sqrt(bc2), .decay = o->decoupled ? (float)(1.0 - (double)lr * wd) : 1.0f,
                 .l2 = o->decoupled ? 0.0f : wd};
  float *w = p->data, *g = p->grad, *m = st->buf1, *v = st->buf2;
  AVS_PAR_RANGE(n, n, lo, hi, adam_k(w, g, m, v, lo, hi, c));
  return true;
}

void avs_optim_step(avs_optim *o) {
  for (int i = 0; i < o->n; i++) {
    avs_tensor *p = o->params[i];
    if (!p->grad) continue;
    if (!(o->kind == OPT_SGD ? sgd_step : adam_step)(o, p, &o->state[i])) continue;
    o->state[i].step++;
    p->version++;
  }
}

void avs_optim_zero_grad(avs_optim *o) {
  for (int i = 0; i < o->n; i++) avs_tensor_zero_grad(o->params[i]);
}

void avs_optim_set_lr(avs_optim *o, float lr) { o->lr = lr; }

int avs_optim_set_lr_scale(avs_optim *o, int i, float scale) {
  if (i < 0 || i >= o->n) return avs_seterr(AVS_EINVAL, "optimizer: no parameter %d of %d", i, o->n);
  if (!(scale >= 0) || !isfinite(scale))
    return avs_seterr(AVS_EINVAL, "optimizer: invalid learning-rate scale %g for %s", scale,
                      o->params[i]->name ? o->params[i]->name : "a parameter");
  o->state[i].lr_scale = scale;
  return AVS_OK;
}
float avs_optim_lr(const avs_optim *o) { return o->lr; }

void avs_optim_free(avs_optim **po) {
  if (!po || !*po) return;
  avs_optim *o = *po;
  if (o->state)
    for (int i = 0; i < o->n; i++) free(o->state[i].buf1), free(o->state[i].buf2);
  free(o->state);
  free(o->params);
  free(o);
  *po = NULL;
}

float avs_clip_grad_norm(avs_tensor *const *params, int n, float max_norm) {
  double total = 0;
  for (int i = 0; i < n; i++) {
    const avs_tensor *p = params[i];
    if (!p || !p->grad) continue;
    double s = 0;
    const float *g = p->grad;
#pragma omp parallel for reduction(+ : s) schedule(static) if (p->numel >= 65536)
    for (int64_t j = 0; j < p->numel; j++) s += (double)g[j] * g[j];
    total += s;
  }
  float norm = (float)sqrt(total);
  /* clip_coef = max_norm / (total_norm + 1e-6), clamped at 1; PyTorch multiplies even by 1 */
  float coef = max_norm / (norm + 1e-6f);
  if (!(coef >= 1.0f)) /* NaN norms make NaN grads, as in PyTorch */
    for (int i = 0; i < n; i++) {
      avs_tensor *p = params[i];
      if (!p || !p->grad) continue;
      float *g = p->grad;
#pragma omp parallel for simd schedule(static) if (p->numel >= 65536)
      for (int64_t j = 0; j < p->numel; j++) g[j] *= coef;
    }
  return norm;
}

/* ---- checkpoints ---- */

static const char *buf_name(const avs_optim *o, int which) {
  if (o->kind == OPT_SGD) return "momentum_buffer";
  return which == 0 ? "exp_avg" : "exp_avg_sq";
}

int avs_optim_state_write(const avs_optim *o, avs_st_writer *w) {
  int nbufs = o->kind == OPT_SGD ? 1 : 2;
  int rc = avs_st_writer_meta(w, "optim.kind", o->kind == OPT_SGD ? "sgd" : "adam");
  char key[320], value[32];
  for (int i = 0; !rc && i < o->n; i++) {
    const avs_tensor *p = o->params[i];
    const param_state *st = &o->state[i];
    if (!st->step) continue;
    if (!p->name) return avs_seterr(AVS_EINVAL, "optimizer state: parameter %d has no name", i);
    snprintf(key, sizeof key, "%s.step", p->name);
    snprintf(value, sizeof value, "%lld", (long long)st->step);
    rc = avs_st_writer_meta(w, key, value);
    for (int b = 0; !rc && b < nbufs; b++) {
      const float *buf = b ? st->buf2 : st->buf1;
      if (!buf) continue; /* SGD without momentum keeps no buffer */
      snprintf(key, sizeof key, "%s.%s", p->name, buf_name(o, b));
      rc = avs_st_writer_add(w, key, p->ndim, p->shape, buf);
    }
  }
  return rc;
}

int avs_optim_state_read(avs_optim *o, const avs_st *st) {
  const char *kind = avs_st_meta(st, "optim.kind");
  const char *want = o->kind == OPT_SGD ? "sgd" : "adam";
  if (!kind || strcmp(kind, want))
    return avs_seterr(AVS_EFORMAT, "optimizer state is for '%s', not '%s'", kind ? kind : "nothing", want);
  int nbufs = o->kind == OPT_SGD ? (o->momentum > 0 ? 1 : 0) : 2;
  char key[320];
  for (int i = 0; i < o->n; i++) {
    avs_tensor *p = o->params[i];
    param_state *s = &o->state[i];
    if (!p->name) continue;
    snprintf(key, sizeof key, "%s.step", p->name);
    const char *step = avs_st_meta(st, key);
    if (!step) continue;
    char *end;
    long long n = strtoll(step, &end, 10);
    if (*end || n < 1) return avs_seterr(AVS_EFORMAT, "optimizer state: bad step count '%s' for %s", step, p->name);
    if (nbufs && !ensure_state(s, p->numel, nbufs, p->name)) return avs_seterr(AVS_ENOMEM, "out of memory");
    for (int b = 0; b < nbufs; b++) {
      snprintf(key, sizeof key, "%s.%s", p->name, buf_name(o, b));
      int ndim;
      int64_t shape[AVS_MAX_DIMS];
      const float *data;
      if (avs_st_get(st, key, &ndim, shape, &data))
        return avs_seterr(AVS_EFORMAT, "optimizer state: no tensor '%s'", key);
      int64_t numel = avs_shape_numel(ndim, shape);
      if (numel != p->numel) return avs_seterr(AVS_EFORMAT, "optimizer state: '%s' has the wrong size", key);
      memcpy(b ? s->buf2 : s->buf1, data, sizeof(float) * numel);
    }
    s->step = n;
  }
  return AVS_OK;
}
