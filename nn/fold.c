/* Eval-mode conv + batch-norm folding with a per-model cache (see fold.h). */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "av/status.h"
#include "nn/fold.h"

enum { SRC_W, SRC_B, SRC_GAMMA, SRC_BETA, SRC_MEAN, SRC_VAR, N_SRC };

typedef struct {
  const avs_tensor *src[N_SRC];
  uint32_t version[N_SRC];
  const float *data[N_SRC];
  float eps;
  avs_tensor *w, *b; /* folded; heap tensors so the conv's weight-reorder cache keeps them */
} fold_entry;

struct avs_fold_cache {
  pthread_mutex_t lock;
  fold_entry *e;
  int n, cap;
};

avs_fold_cache *avs_fold_cache_new(void) {
  avs_fold_cache *c = calloc(1, sizeof *c);
  if (!c) {
    avs_seterr(AVS_ENOMEM, "out of memory");
    return NULL;
  }
  pthread_mutex_init(&c->lock, NULL);
  return c;
}

void avs_fold_cache_free(avs_fold_cache **c) {
  if (!c || !*c) return;
  for (int i = 0; i < (*c)->n; i++) avs_tensor_free(&(*c)->e[i].w), avs_tensor_free(&(*c)->e[i].b);
  free((*c)->e);
  pthread_mutex_destroy(&(*c)->lock);
  free(*c);
  *c = NULL;
}

static bool entry_current(const fold_entry *e, const avs_tensor *const *src, float eps) {
  for (int i = 0; i < N_SRC; i++)
    if (e->src[i] != src[i] || (src[i] && (e->version[i] != src[i]->version || e->data[i] != src[i]->data)))
      return false;
  return e->eps == eps;
}

static void refold(fold_entry *e, const avs_tensor *const *src, float eps) {
  const avs_tensor *w = src[SRC_W];
  int64_t o = w->shape[0], per = w->numel / o;
  for (int64_t c = 0; c < o; c++) {
    double s = src[SRC_GAMMA]->data[c] / sqrt((double)src[SRC_VAR]->data[c] + eps);
    double b = src[SRC_B] ? src[SRC_B]->data[c] : 0.0;
    e->b->data[c] = (float)(src[SRC_BETA]->data[c] + (b - src[SRC_MEAN]->data[c]) * s);
    for (int64_t k = 0; k < per; k++) e->w->data[c * per + k] = (float)(w->data[c * per + k] * s);
  }
  for (int i = 0; i < N_SRC; i++) {
    e->src[i] = src[i];
    e->version[i] = src[i] ? src[i]->version : 0;
    e->data[i] = src[i] ? src[i]->data : NULL;
  }
  e->eps = eps;
  e->w->version++, e->b->version++;
}

int avs_fold_get(avs_ctx *ctx, const avs_tensor *w, const avs_tensor *b, const avs_bn *bn, avs_tensor **fw, avs_tensor **fb) {
  avs_fold_cache *c = avs_ctx_fold(ctx);
  if (!c) return 0;
  if (!bn->weight || !bn->bias) return 0; /* affine=False: not folded */
  const avs_tensor *src[N_SRC] = {w, b, bn->weight, bn->bias, bn->running_mean, bn->running_var};
  float eps = bn->eps > 0 ? bn->eps : 1e-5f;
  int rc = 1;
  pthread_mutex_lock(&c->lock);
  fold_entry *e = NULL;
  for (int i = 0; i < c->n && !e; i++)
    if (c->e[i].src[SRC_W] == w) e = &c->e[i];
  if (!e) {
    if (c->n == c->cap) {
      int cap = c->cap ? 2 * c->cap : 64;
      fold_entry *grown = realloc(c->e, sizeof *grown * cap);
      if (!grown) {
        rc = avs_seterr(AVS_ENOMEM, "out of memory");
        goto done;
      }
      c->e = grown, c->cap = cap;
    }
    e = &c->e[c->n];
    memset(e, 0, sizeof *e);
    e->w = avs_tensor_new(w->ndim, w->shape);
    e->b = avs_tensor_new(1, &w->shape[0]);
    if (!e->w || !e->b) {
      avs_tensor_free(&e->w), avs_tensor_free(&e->b);
      rc = avs_seterr(AVS_ENOMEM, "out of memory");
      goto done;
    }
    e->w->requires_grad = e->b->requires_grad = false;
    c->n++;
    refold(e, src, eps);
  } else if (!entry_current(e, src, eps)) {
    refold(e, src, eps);
  }
  *fw = e->w, *fb = e->b;
done:
  pthread_mutex_unlock(&c->lock);
  return rc;
}
