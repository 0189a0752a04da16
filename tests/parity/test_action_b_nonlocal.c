/* Non-local block parity against gen_action_b_nonlocal.py (AlexHex7's
 * NONLocalBlock3D, random weights): output, input gradient and every
 * parameter gradient of sum(y * gy) in eval mode and in train mode (batch
 * statistics), and the BN's running statistics after the train step; the
 * declared tensor table must equal the port's state_dict.
 * Tolerances (float32 sums in different orders; the block's values are O(1)):
 * outputs and statistics 1e-4 relative + 1e-5 absolute, gradients 1e-3
 * relative + 1e-5 absolute, each plus TORCH_ERR times PyTorch's own float32
 * deviation from the float64 reference (err.<key>): some gradients are zero up
 * to rounding (see the generator), where only that deviation is meaningful.
 * There oneDNN's blocked sums were measured up to 5 times noisier than
 * PyTorch's (W.0.bias of the wide case: 2.5e-3 against PyTorch's 5e-4), hence
 * the factor 10. */
#include <stdio.h>
#include <string.h>

#include "tests/harness.h"
#include "nn/nonlocal.h"

#define PREFIX "layer.nl."
#define TORCH_ERR 10.0

/* tst_close against case.key with atol + TORCH_ERR * err.key. */
static void close_ref(avs_st *st, const char *c, const char *key, const float *got, float atol, float rtol) {
  avs_tensor *want = tst_tensor(st, "%s.%s", c, key), *err = tst_tensor(st, "%s.err.%s", c, key);
  char what[160];
  snprintf(what, sizeof what, "%s %s", c, key);
  tst_close(what, got, want->data, want->numel, atol + (float)TORCH_ERR * err->data[0], rtol);
  avs_tensor_free(&want), avs_tensor_free(&err);
}

static void check_mode(avs_st *st, const char *c, avs_params *p, const avs_nonlocal_spec *s, bool train) {
  const char *mode = train ? "train" : "eval";
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = train});
  AVS_ASSERT(ctx);
  for (int i = 0; i < p->n; i++) avs_tensor_zero_grad(p->t[i]);
  avs_tensor *x = tst_tensor(st, "%s.x", c), *gy = tst_tensor(st, "%s.%s.gy", c, mode);
  avs_tensor *y = avs_nonlocal_forward(ctx, p, PREFIX, s, x);
  char key[160];
  if (tst_true(y && y->numel == gy->numel, "%s %s forward: %s", c, mode, y ? "ok" : avs_errmsg())) {
    snprintf(key, sizeof key, "%s.y", mode);
    close_ref(st, c, key, y->data, 1e-5f, 1e-4f);
    if (train) {
      int rc = avs_backward_from(ctx, y, gy->data);
      tst_true(!rc, "%s backward: %s", c, rc ? avs_errmsg() : "ok");
      close_ref(st, c, "train.gx", x->grad, 1e-5f, 1e-3f);
      for (int i = 0; i < p->n; i++) {
        avs_tensor *t = p->t[i];
        const char *short_name = t->name + strlen(PREFIX);
        snprintf(key, sizeof key, "train.%s.%s", t->requires_grad ? "grad" : "after", short_name);
        close_ref(st, c, key, t->requires_grad ? t->grad : t->data, 1e-5f, t->requires_grad ? 1e-3f : 1e-4f);
      }
    }
  }
  avs_tensor_free(&x), avs_tensor_free(&gy);
  avs_ctx_free(&ctx);
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  avs_st *st = tst_open(argv[1]);
  const char *cases[] = {"sub", "nosub", "wide"};
  for (int k = 0; k < 3; k++) {
    const char *c = cases[k];
    avs_nonlocal_spec s = {.channels = (int)tst_meta_int(st, "%s.channels", c),
                           .sub_sample = tst_meta_int(st, "%s.sub_sample", c)};
    avs_params p;
    avs_params_init(&p, "nonlocal_test");
    int rc = avs_nonlocal_declare(&p, PREFIX, &s);
    if (!tst_true(!rc, "%s declare: %s", c, rc ? avs_errmsg() : "ok")) continue;
    int matched = 0, n_ref = 0;
    char prefix[64];
    snprintf(prefix, sizeof prefix, "%s.w.", c);
    for (int i = 0; i < avs_st_count(st); i++)
      n_ref += !strncmp(avs_st_name(st, i), prefix, strlen(prefix));
    for (int i = 0; i < p.n; i++) {
      if (!tst_has(st, "%s.w.%s", c, p.t[i]->name + strlen(PREFIX))) continue;
      avs_tensor *w = tst_tensor(st, "%s.w.%s", c, p.t[i]->name + strlen(PREFIX));
      if (avs_tensor_same_shape(w, p.t[i])) memcpy(p.t[i]->data, w->data, sizeof(float) * w->numel), matched++;
      avs_tensor_free(&w);
    }
    if (tst_true(matched == p.n && matched == n_ref, "%s: %d declared tensors, %d in the port's state_dict, %d match",
                 c, p.n, n_ref, matched)) {
      check_mode(st, c, &p, &s, false);
      check_mode(st, c, &p, &s, true);
    }
    avs_params_free(&p);
  }
  avs_st_close(&st);
  return tst_finish();
}
