/* The action-model registry: self-describing model files (save, load, the
 * hyperparameters read back from metadata), the errors a wrong file gives,
 * and the layer trace covering every parameter of each architecture of
 * video/models/ (part A), at small clip sizes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/action/action_hash.h"
#include "tests/harness.h"
#include "video/models/c3d.h"
#include "video/models/profile.h"
#include "video/models/registry.h"


static void *cfg_with(const avs_action_arch *a, const char *const *kv) {
  void *cfg = malloc(a->cfg_size);
  AVS_ASSERT(cfg);
  memcpy(cfg, a->cfg_default, a->cfg_size);
  for (; kv && *kv; kv += 2) AVS_ASSERT(!avs_cfg_set(a, cfg, kv[0], kv[1]));
  return cfg;
}

static avs_tensor *forward(avs_ctx *ctx, avs_action_model *m, avs_tensor *x) {
  avs_tensor *y = avs_action_model_forward(ctx, m, x);
  if (!y) printf("     forward: %s\n", avs_errmsg());
  return y;
}

/* A small C3D saved and loaded back: same cfg, tensors, outputs. */
static void round_trip(const char *dir) {
  const avs_action_arch *a = avs_action_arch_find("c3d");
  const char *kv[] = {"classes", "3", "channels", "4", "fc_dim", "16", "height", "32", "width", "40", NULL};
  avs_c3d_cfg *cfg = cfg_with(a, kv);
  avs_action_model *m = NULL, *back = NULL;
  AVS_ASSERT(!avs_action_model_new("c3d", cfg, &m));
  ah_fill(&m->params);
  char path[512];
  snprintf(path, sizeof path, "%s/c3d_small.safetensors", dir);
  tst_true(!avs_model_save(m, path), "save %s: %s", path, avs_errmsg());
  int rc = avs_action_model_load(path, &back);
  if (tst_true(!rc, "load back: %s", rc ? avs_errmsg() : "ok")) {
    const avs_c3d_cfg *c = back->cfg;
    tst_true(back->arch == a && c->base.classes == 3 && c->channels == 4 && c->fc_dim == 16 &&
                 c->base.width == 40 && c->base.frames == 16 && c->dropout == 0.5f,
             "hyperparameters read back from metadata (classes %d, channels %d, fc_dim %d, width %d)", c->base.classes,
             c->channels, c->fc_dim, c->base.width);
    bool same = back->params.n == m->params.n;
    for (int i = 0; same && i < m->params.n; i++)
      same = !memcmp(m->params.t[i]->data, back->params.t[i]->data, sizeof(float) * m->params.t[i]->numel);
    tst_true(same, "all %d tensors identical after the round trip", m->params.n);
    avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){0});
    avs_tensor *x = avs_ctx_zeros(ctx, 5, AVS_SHAPE(1, 16, 32, 40, 3));
    for (int64_t i = 0; i < x->numel; i++) x->data[i] = (float)((i * 7919) % 255) / 255.0f;
    avs_tensor *y0 = forward(ctx, m, x), *y1 = forward(ctx, back, x);
    if (tst_true(y0 && y1 && y0->numel == 3, "forward of both"))
      tst_close("loaded model's logits", y1->data, y0->data, 3, 0, 0);
    avs_tensor *bad = avs_ctx_zeros(ctx, 5, AVS_SHAPE(1, 16, 32, 32, 3));
    tst_true(!avs_action_model_forward(ctx, back, bad) && avs_errcode() == AVS_ESHAPE,
             "a clip of another size is refused: %s", avs_errmsg());
    bad = avs_ctx_zeros(ctx, 5, AVS_SHAPE(1, 16, 32, 40, 2));
    tst_true(!avs_action_model_forward(ctx, back, bad) && strstr(avs_errmsg(), "(N, T, H, W, 3)"),
             "a clip with 2 channels is refused: %s", avs_errmsg());
    avs_ctx_free(&ctx);
  }
  avs_model_free(&back);

  rc = avs_action_model_load_arch(path, "r3d_18", &back);
  tst_true(rc && strstr(avs_errmsg(), "'c3d'") && strstr(avs_errmsg(), "'r3d_18'") && !back,
           "wanting another architecture: %s", avs_errmsg());

  /* Metadata that disagrees with the tensors: the first mismatch is named. */
  avs_params_set_meta(&m->params, "classes", "4");
  AVS_ASSERT(!avs_model_save(m, path));
  rc = avs_action_model_load(path, &back);
  tst_true(rc == AVS_ESHAPE && strstr(avs_errmsg(), "fc8.weight") && strstr(avs_errmsg(), "(3, 16)") &&
               strstr(avs_errmsg(), "(4, 16)"),
           "classes=4 in metadata, 3 in fc8: %s", avs_errmsg());
  avs_params_set_meta(&m->params, "classes", "three");
  AVS_ASSERT(!avs_model_save(m, path));
  rc = avs_action_model_load(path, &back);
  tst_true(rc == AVS_EFORMAT && strstr(avs_errmsg(), "classes") && strstr(avs_errmsg(), "three"),
           "a malformed hyperparameter: %s", avs_errmsg());
  avs_params_set_meta(&m->params, "classes", "3");
  free(m->params.arch);
  m->params.arch = strdup("no_such_net");
  AVS_ASSERT(!avs_model_save(m, path));
  rc = avs_action_model_load(path, &back);
  tst_true(rc && strstr(avs_errmsg(), "no_such_net"), "an unknown architecture: %s", avs_errmsg());
  unlink(path);
  avs_model_free(&m);
  free(cfg);
}

static void bad_configs(void) {
  const avs_action_arch *a = avs_action_arch_find("c3d");
  void *cfg = cfg_with(a, NULL);
  tst_true(avs_cfg_set(a, cfg, "depth", "3") == AVS_EINVAL && strstr(avs_errmsg(), "depth"),
           "unknown hyperparameter: %s", avs_errmsg());
  tst_true(avs_cfg_set(a, cfg, "dropout", "1e99") == AVS_EINVAL, "non-finite float refused: %s", avs_errmsg());
  AVS_ASSERT(!avs_cfg_set(a, cfg, "frames", "8"));
  avs_action_model *m = NULL;
  tst_true(avs_action_model_new("c3d", cfg, &m) == AVS_EINVAL && !m && strstr(avs_errmsg(), "too small"),
           "an 8-frame C3D cannot reach pool5: %s", avs_errmsg());
  tst_true(!avs_action_arch_find("c4d") && strstr(avs_errmsg(), "r2plus1d_18"), "unknown arch lists the known: %s",
           avs_errmsg());
  free(cfg);

  /* Every action model bounds its clip and class count: values that once
   * overflowed shape arithmetic are refused with the range. */
  static const char *const too_big[][3] = {{"frames", "2147483647", "[1, 1024]"},
                                           {"frames", "1025", "[1, 1024]"},
                                           {"height", "2147483647", "[1, 4096]"},
                                           {"width", "4097", "[1, 4096]"},
                                           {"classes", "2147483647", "[1, 100000]"},
                                           {"classes", "0", "[1, 100000]"}};
  for (int i = 0; i < avs_action_arch_count(); i++) {
    a = avs_action_arch_at(i);
    cfg = cfg_with(a, NULL);
    bool ok = true;
    for (size_t k = 0; k < sizeof too_big / sizeof *too_big; k++)
      ok &= avs_cfg_set(a, cfg, too_big[k][0], too_big[k][1]) == AVS_EINVAL && strstr(avs_errmsg(), too_big[k][2]) &&
            strstr(avs_errmsg(), too_big[k][0]);
    tst_true(ok, "%s: frames, height, width and classes are bounded: %s", a->name, avs_errmsg());
    free(cfg);
  }
  /* A width the bounds allow can still ask for an absurd weight: a clear error. */
  a = avs_action_arch_find("single_frame");
  cfg = cfg_with(a, (const char *const[]){"channels", "1000000", NULL});
  tst_true(avs_action_model_new("single_frame", cfg, &m) == AVS_ENOMEM && !m && strstr(avs_errmsg(), "too large"),
           "a 10^6-wide ResNet is refused: %s", avs_errmsg());
  free(cfg);
}

/* Every layer is in the trace: its rows add up to the model's parameters. */
static void traces(void) {
  tst_true(avs_action_arch_count() >= 14, "%d action architectures registered", avs_action_arch_count());
  for (int i = 0; i < avs_action_arch_count(); i++) {
    const avs_arch *a = avs_action_arch_at(i);
    const char *name = a->name;
    bool c3d = !strcmp(name, "c3d");
    const char *kv[] = {"classes", "7", "frames", c3d ? "16" : "4", "height", "32", "width", "32",
                        c3d ? "channels" : NULL, "8", "fc_dim", "32", NULL};
    void *cfg = cfg_with(a, kv);
    avs_action_model *m = NULL;
    avs_action_profile p;
    int rc = avs_action_model_new(name, cfg, &m);
    if (!rc) rc = avs_action_profile_run(m, &p);
    if (tst_true(!rc, "%s profile: %s", name, rc ? avs_errmsg() : "ok")) {
      tst_true(p.traced_params == p.params && p.trace.n > 3 && p.macs > 0 && p.macs >= p.conv_macs,
               "%s: %d rows cover all %lld parameters (traced %lld), %.1f M multiply-adds", name, p.trace.n,
               (long long)p.params, (long long)p.traced_params, p.macs / 1e6);
      avs_action_profile_free(&p);
    }
    avs_model_free(&m);
    free(cfg);
  }
}

/* Eval mode folds batch norms into convolutions (fold.h): the result equals
 * the unfolded forward, and changing a BN statistic refolds. */
static void folding(void) {
  const avs_action_arch *a = avs_action_arch_find("r3d_18");
  const char *kv[] = {"classes", "4", "frames", "4", "height", "32", "width", "32", NULL};
  void *cfg = cfg_with(a, kv);
  avs_action_model *m = NULL;
  AVS_ASSERT(!avs_action_model_new("r3d_18", cfg, &m));
  ah_fill(&m->params);
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){0});
  avs_tensor *x = avs_ctx_zeros(ctx, 5, AVS_SHAPE(1, 4, 32, 32, 3));
  for (int64_t i = 0; i < x->numel; i++) x->data[i] = (float)((i * 7919) % 255) / 127.0f - 1.0f;
  float folded[4], plain[4], changed[4];
  avs_tensor *y = forward(ctx, m, x);
  avs_tensor *z = avs_action_task_of(a)->forward(ctx, &m->params, m->cfg, x); /* no fold cache selected: BN as its own op */
  if (!tst_true(y && z, "folded and plain forward")) goto done;
  memcpy(folded, y->data, sizeof folded), memcpy(plain, z->data, sizeof plain);
  float amax = 0;
  for (int i = 0; i < 4; i++) amax = fmaxf(amax, fabsf(plain[i]));
  tst_close("folded vs plain batch norm (eval)", folded, plain, 4, 1e-5f * amax, 1e-5f);
  avs_tensor *var = avs_params_find(&m->params, "layer4.1.conv2.1.running_var");
  for (int64_t i = 0; i < var->numel; i++) var->data[i] *= 4;
  var->version++;
  y = forward(ctx, m, x);
  z = avs_action_task_of(a)->forward(ctx, &m->params, m->cfg, x);
  if (!tst_true(y && z, "forward after a change")) goto done;
  memcpy(changed, y->data, sizeof changed);
  tst_close("refolded after running_var changed", changed, z->data, 4, 1e-5f * amax, 1e-5f);
  tst_true(memcmp(changed, folded, sizeof folded), "the change reached the folded weights");
done:
  avs_ctx_free(&ctx);
  avs_model_free(&m);
  free(cfg);
}

int main(void) {
  const char *dir = getenv("AVS_BUILD_DIR") ? getenv("AVS_BUILD_DIR") : ".";
  round_trip(dir);
  bad_configs();
  folding();
  traces();
  return tst_finish();
}
