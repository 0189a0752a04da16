/* av/optim.c against torch.optim 1.13 (gen_optim.py): five steps of SGD
 * (plain, momentum + weight decay, Nesterov), Adam (plain, L2 decay), AdamW
 * (with a learning-rate change), a parameter without a gradient at one step;
 * clip_grad_norm with and without clipping. Every step's parameters are
 * compared with atol 1e-6, rtol 1e-5 (the same float32 formulas; only the
 * rounding of scalars such as 1 - beta differs); the clipping norm with rtol 1e-5. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/harness.h"

#define ATOL 1e-6f
#define RTOL 1e-5f

static void compare(avs_st *st, const float *got, const char *key) {
  avs_tensor *ref = tst_tensor(st, "%s", key);
  tst_close(key, got, ref->data, ref->numel, ATOL, RTOL);
  avs_tensor_free(&ref);
}

static void run_optimizer(avs_st *st, const char *cs, int steps, int np, int ng_step, int ng_param) {
  const char *kind = tst_meta_str(st, "%s.kind", cs);
  float lr = (float)tst_meta_float(st, "%s.lr", cs), wd = (float)tst_meta_float(st, "%s.weight_decay", cs);
  avs_tensor *p[8];
  for (int i = 0; i < np; i++) p[i] = tst_tensor(st, "init.p%d", i);
  avs_optim *opt = !strcmp(kind, "sgd")
                       ? avs_sgd_new(p, np, lr, (float)tst_meta_float(st, "%s.momentum", cs), wd,
                                     tst_meta_int(st, "%s.nesterov", cs))
                       : avs_adam_new(p, np, lr, (float)tst_meta_float(st, "%s.beta1", cs),
                                      (float)tst_meta_float(st, "%s.beta2", cs), (float)tst_meta_float(st, "%s.eps", cs),
                                      wd, !strcmp(kind, "adamw"));
  if (!tst_true(opt != NULL, "%s created %s", cs, opt ? "" : avs_errmsg())) return;
  tst_true(avs_optim_lr(opt) == lr, "%s lr reads back", cs);
  long lr_step = tst_meta_int(st, "%s.lr_change_step", cs);
  for (int s = 0; s < steps; s++) {
    if (s == lr_step) avs_optim_set_lr(opt, (float)tst_meta_float(st, "%s.lr_new", cs));
    uint32_t version[8];
    for (int i = 0; i < np; i++) {
      version[i] = p[i]->version;
      if (s == ng_step && i == ng_param) { /* as PyTorch's grad None: no update at all */
        free(p[i]->grad);
        p[i]->grad = NULL;
        continue;
      }
      avs_tensor *g = tst_tensor(st, "grad%d.p%d", s, i);
      memcpy(avs_tensor_grad(p[i]), g->data, sizeof(float) * g->numel);
      avs_tensor_free(&g);
    }
    avs_optim_step(opt);
    for (int i = 0; i < np; i++) {
      char key[96];
      snprintf(key, sizeof key, "%s.step%d.p%d", cs, s, i);
      compare(st, p[i]->data, key);
      bool skipped = s == ng_step && i == ng_param;
      if (p[i]->version != version[i] + !skipped) tst_true(false, "%s step %d p%d version bump", cs, s, i);
    }
  }
  avs_optim_zero_grad(opt);
  bool zero = true;
  for (int i = 0; i < np; i++)
    for (int64_t j = 0; p[i]->grad && j < p[i]->numel; j++) zero &= p[i]->grad[j] == 0;
  tst_true(zero, "%s zero_grad zeroes every gradient", cs);
  avs_optim_free(&opt);
  tst_true(opt == NULL, "%s free sets NULL", cs);
  for (int i = 0; i < np; i++) avs_tensor_free(&p[i]);
}

static void run_clip(avs_st *st, const char *cs, int np) {
  avs_tensor *p[8];
  for (int i = 0; i < np; i++) {
    p[i] = tst_tensor(st, "init.p%d", i);
    avs_tensor *g = tst_tensor(st, "grad0.p%d", i);
    memcpy(avs_tensor_grad(p[i]), g->data, sizeof(float) * g->numel);
    avs_tensor_free(&g);
  }
  float norm = avs_clip_grad_norm(p, np, (float)tst_meta_float(st, "%s.max_norm", cs));
  avs_tensor *ref = tst_tensor(st, "%s.norm", cs);
  tst_close(cs, &norm, ref->data, 1, 0, RTOL);
  for (int i = 0; i < np; i++) {
    char key[96];
    snprintf(key, sizeof key, "%s.g%d", cs, i);
    compare(st, p[i]->grad, key);
    avs_tensor_free(&p[i]);
  }
  avs_tensor_free(&ref);
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  avs_st *st = tst_open(argv[1]);
  int steps = (int)tst_meta_int(st, "steps"), np = (int)tst_meta_int(st, "params");
  int ng_step = (int)tst_meta_int(st, "no_grad_step"), ng_param = (int)tst_meta_int(st, "no_grad_param");
  char cases[1024];
  snprintf(cases, sizeof cases, "%s", tst_meta_str(st, "cases"));
  for (char *cs = strtok(cases, ","); cs; cs = strtok(NULL, ","))
    if (!strcmp(tst_meta_str(st, "%s.kind", cs), "clip"))
      run_clip(st, cs, np);
    else
      run_optimizer(st, cs, steps, np, ng_step, ng_param);
  /* invalid settings are refused with a message */
  avs_tensor *t = avs_tensor_new(1, AVS_SHAPE(3));
  tst_true(!avs_sgd_new(&t, 1, 0.1f, 0, 0, true) && strstr(avs_errmsg(), "Nesterov"), "nesterov without momentum: %s",
           avs_errmsg());
  tst_true(!avs_adam_new(&t, 1, -1, 0, 0, 0, 0, false), "negative lr: %s", avs_errmsg());
  tst_true(!avs_adam_new(&t, 1, 0.1f, 1.0f, 0.9f, 0, 0, false), "beta1 = 1: %s", avs_errmsg());
  avs_tensor_free(&t);
  avs_st_close(&st);
  return tst_finish();
}
