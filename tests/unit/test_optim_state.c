/* Optimizer checkpoints: K steps, save the state, read it into a fresh
 * optimizer, K more steps must give bit-identical weights to 2K uninterrupted
 * steps (SGD with momentum, Adam, AdamW). A checkpoint of another kind, or of
 * a parameter with another size, is refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "av/avs.h"
#include "tests/harness.h"

#define N 37
#define K 5

typedef avs_optim *(*make_fn)(avs_tensor *const *p, int n);
static avs_optim *make_sgd(avs_tensor *const *p, int n) { return avs_sgd_new(p, n, 0.1f, 0.9f, 1e-3f, true); }
static avs_optim *make_adam(avs_tensor *const *p, int n) { return avs_adam_new(p, n, 0.01f, 0, 0, 0, 1e-2f, false); }
static avs_optim *make_adamw(avs_tensor *const *p, int n) { return avs_adam_new(p, n, 0.01f, 0, 0, 0, 1e-2f, true); }

static avs_tensor *param(const char *name, int64_t n) {
  avs_tensor *t = avs_tensor_new(1, AVS_SHAPE(n));
  AVS_ASSERT(t);
  t->name = name;
  for (int64_t i = 0; i < n; i++) t->data[i] = (float)((i * 7919) % 13) / 13.0f - 0.4f;
  return t;
}

/* A gradient that depends on the weights and the step, so state matters. */
static void steps(avs_optim *o, avs_tensor *w, int from, int to) {
  for (int s = from; s < to; s++) {
    avs_optim_zero_grad(o);
    float *g = avs_tensor_grad(w);
    for (int64_t i = 0; i < w->numel; i++) g[i] = w->data[i] * (1.0f + 0.1f * s) - 0.05f * (float)(i % 5);
    avs_optim_step(o);
  }
}

static void check(const char *what, make_fn make, const char *dir) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s.safetensors", dir, what);
  avs_tensor *a = param("w", N), *b = param("w", N);
  avs_optim *oa = make(&a, 1), *ob = make(&b, 1);
  AVS_ASSERT(oa && ob);
  steps(oa, a, 0, 2 * K);
  steps(ob, b, 0, K);
  avs_st_writer *w = avs_st_writer_new();
  int rc = avs_optim_state_write(ob, w);
  if (!rc) rc = avs_st_writer_save(w, path);
  avs_st_writer_free(&w);
  tst_true(!rc, "%s: state written (%s)", what, rc ? avs_errmsg() : "ok");
  avs_optim_free(&ob);
  ob = make(&b, 1);
  avs_st *st = NULL;
  rc = avs_st_open(path, &st);
  if (!rc) rc = avs_optim_state_read(ob, st);
  tst_true(!rc, "%s: state read (%s)", what, rc ? avs_errmsg() : "ok");
  avs_st_close(&st);
  steps(ob, b, K, 2 * K);
  tst_true(!memcmp(a->data, b->data, sizeof(float) * N), "%s: resumed steps equal uninterrupted ones", what);
  avs_optim_free(&oa), avs_optim_free(&ob);
  avs_tensor_free(&a), avs_tensor_free(&b);
}

/* Per-parameter learning rates: b at scale 0.25 in a shared optimizer steps
 * exactly as b alone at lr / 4 (0.25 keeps the products exact), a as before. */
static avs_optim *make_sgd_quarter(avs_tensor *const *p, int n) { return avs_sgd_new(p, n, 0.025f, 0.9f, 1e-3f, true); }
static avs_optim *make_adam_quarter(avs_tensor *const *p, int n) { return avs_adam_new(p, n, 0.0025f, 0, 0, 0, 1e-2f, false); }
static avs_optim *make_adamw_quarter(avs_tensor *const *p, int n) { return avs_adam_new(p, n, 0.0025f, 0, 0, 0, 1e-2f, true); }

static void check_scale(const char *what, make_fn make, make_fn make_quarter) {
  avs_tensor *a = param("a", N), *b = param("b", N), *a1 = param("a", N), *b1 = param("b", N);
  avs_tensor *both[2] = {a, b};
  avs_optim *o = make(both, 2), *oa = make(&a1, 1), *ob = make_quarter(&b1, 1);
  AVS_ASSERT(o && oa && ob);
  tst_true(!avs_optim_set_lr_scale(o, 1, 0.25f), "%s: scale set", what);
  tst_true(avs_optim_set_lr_scale(o, 2, 1.0f) == AVS_EINVAL && avs_optim_set_lr_scale(o, 0, -1.0f) == AVS_EINVAL,
           "%s: bad index or scale refused", what);
  for (int s = 0; s < K; s++) {
    avs_optim_zero_grad(o), avs_optim_zero_grad(oa), avs_optim_zero_grad(ob);
    avs_tensor *ps[4] = {a, b, a1, b1};
    for (int k = 0; k < 4; k++) {
      float *g = avs_tensor_grad(ps[k]);
      for (int64_t i = 0; i < N; i++) g[i] = ps[k]->data[i] * (1.0f + 0.1f * s) - 0.05f * (float)(i % 5);
    }
    avs_optim_step(o), avs_optim_step(oa), avs_optim_step(ob);
  }
  tst_true(!memcmp(a->data, a1->data, sizeof(float) * N) && !memcmp(b->data, b1->data, sizeof(float) * N),
           "%s: a parameter at lr scale 0.25 steps as alone at lr / 4", what);
  avs_optim_free(&o), avs_optim_free(&oa), avs_optim_free(&ob);
  avs_tensor_free(&a), avs_tensor_free(&b), avs_tensor_free(&a1), avs_tensor_free(&b1);
}

int main(void) {
  check_scale("sgd", make_sgd, make_sgd_quarter);
  check_scale("adam", make_adam, make_adam_quarter);
  check_scale("adamw", make_adamw, make_adamw_quarter);
  char dir[] = "/tmp/avs_optim_state_XXXXXX";
  AVS_ASSERT(mkdtemp(dir));
  check("sgd", make_sgd, dir);
  check("adam", make_adam, dir);
  check("adamw", make_adamw, dir);

  /* refusals: Adam state into SGD; a parameter of another size */
  char path[512];
  snprintf(path, sizeof path, "%s/adam.safetensors", dir);
  avs_st *st = NULL;
  AVS_ASSERT(!avs_st_open(path, &st));
  avs_tensor *w = param("w", N), *big = param("w", N + 1);
  avs_optim *sgd = make_sgd(&w, 1), *adam = make_adam(&big, 1);
  int rc = avs_optim_state_read(sgd, st);
  tst_true(rc == AVS_EFORMAT && strstr(avs_errmsg(), "'adam'"), "Adam state into SGD refused: %s", avs_errmsg());
  rc = avs_optim_state_read(adam, st);
  tst_true(rc == AVS_EFORMAT && strstr(avs_errmsg(), "w.exp_avg"), "wrong size refused: %s", avs_errmsg());
  avs_st_close(&st);
  avs_optim_free(&sgd), avs_optim_free(&adam);
  avs_tensor_free(&w), avs_tensor_free(&big);
  const char *names[] = {"sgd", "adam", "adamw"};
  for (int i = 0; i < 3; i++) {
    snprintf(path, sizeof path, "%s/%s.safetensors", dir, names[i]);
    unlink(path);
  }
  rmdir(dir);
  return tst_finish();
}
