/* Parity of C3D, R3D-18, MC3-18 and R(2+1)D-18 (video/models/) with PyTorch at
 * hashed random weights: eval logits and train-step gradients. Cases in
 * tests/parity/gen_action_video.py (r3d_18_nl: non-local blocks after layer2.0
 * and layer3.1); tolerances in tests/action/action_check.h.
 *
 * The non-local option of the video ResNets, without PyTorch:
 *   - `nonlocal` outside 0..255 is refused, naming it (also i3d_resnet18's);
 *   - mc3_18 and r2plus1d_18 with blocks after layer1.0 and layer4.1 (bits 0
 *     and 7) declare 12 tensors each there, at the layer's width, and nowhere
 *     else; with the blocks' output BN at zero, as declared, the logits equal
 *     those of the model without them (a block starts as the identity);
 *   - the layer trace (the table of `avact info`) has the blocks' rows and
 *     still covers every parameter, and `avact info` on a saved model file
 *     prints them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/action/action_check.h"
#include "video/models/profile.h"
#include "nn/unit.h"

#define SMALL "classes=5,frames=4,height=32,width=32"
#define NL_MASK "129" /* layer1.0 (bit 0), layer4.1 (bit 7) */

static void bad_masks(void) {
  const char *archs[] = {"r3d_18", "mc3_18", "r2plus1d_18", "i3d_resnet18"}, *masks[] = {"256", "-1"};
  for (int i = 0; i < 4; i++)
    for (int k = 0; k < 2; k++) {
      char hp[128];
      snprintf(hp, sizeof hp, SMALL ",nonlocal=%s", masks[k]);
      avs_action_model *m;
      int rc = ac_model_new(archs[i], hp, &m);
      tst_true(rc == AVS_EINVAL && !m && strstr(avs_errmsg(), "nonlocal"), "%s nonlocal=%s refused: %s", archs[i],
               masks[k], rc ? avs_errmsg() : "accepted");
      avs_model_free(&m);
    }
}

/* Eval logits of m on a fixed clip into out[5]. */
static bool logits(avs_action_model *m, float *out) {
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = false});
  avs_tensor *x = avs_ctx_zeros(ctx, 5, AVS_SHAPE(1, 4, 32, 32, 3));
  for (int64_t i = 0; i < x->numel; i++) x->data[i] = (float)((i * 7919) % 255) / 127.0f - 1.0f;
  avs_tensor *y = avs_action_model_forward(ctx, m, x);
  if (y) memcpy(out, y->data, sizeof(float) * 5);
  else printf("     forward: %s\n", avs_errmsg());
  avs_ctx_free(&ctx);
  return y != NULL;
}

/* Where the blocks are declared, and that a fresh block is the identity. */
static void placement(const char *arch) {
  avs_action_model *plain = ac_model(arch, SMALL), *nl = ac_model(arch, SMALL ",nonlocal=" NL_MASK);
  if (!plain || !nl) goto done;
  static const char *const where[2] = {"layer1.0", "layer4.1"};
  static const int64_t width[2] = {64, 512};
  int found = 0;
  for (int i = 0; i < nl->params.n; i++) found += strstr(nl->params.t[i]->name, ".nonlocal.") != NULL;
  bool ok = found == 24 && nl->params.n == plain->params.n + 24;
  for (int b = 0; b < 2; b++) {
    avs_tensor *theta = avs_unit_param(&nl->params, "%s.nonlocal.theta.weight", where[b]);
    avs_tensor *gamma = avs_unit_param(&nl->params, "%s.nonlocal.W.1.weight", where[b]);
    ok = ok && theta && gamma && theta->shape[0] == width[b] / 2 && theta->shape[1] == width[b] &&
         gamma->numel == width[b];
    for (int64_t i = 0; ok && i < gamma->numel; i++) ok = gamma->data[i] == 0;
  }
  if (!tst_true(ok, "%s nonlocal=" NL_MASK ": %d non-local tensors, all under layer1.0 (64 channels) and layer4.1 "
                "(512), output BN weights zero", arch, found))
    goto done;

  /* Hashed weights (the shared names get the same values), then the blocks' output BN zeroed. */
  ah_fill(&plain->params), ah_fill(&nl->params);
  for (int b = 0; b < 2; b++) {
    avs_tensor *w = avs_unit_param(&nl->params, "%s.nonlocal.W.1.weight", where[b]);
    avs_tensor *bias = avs_unit_param(&nl->params, "%s.nonlocal.W.1.bias", where[b]);
    memset(w->data, 0, sizeof(float) * w->numel), memset(bias->data, 0, sizeof(float) * bias->numel);
    w->version++, bias->version++;
  }
  float want[5], got[5];
  if (tst_true(logits(plain, want) && logits(nl, got), "%s forward with and without the blocks", arch)) {
    char what[96];
    snprintf(what, sizeof what, "%s with identity non-local blocks", arch);
    float amax = 0;
    for (int i = 0; i < 5; i++) amax = fmaxf(amax, fabsf(want[i]));
    tst_close(what, got, want, 5, 1e-6f * amax, 1e-6f);
  }
done:
  avs_model_free(&plain), avs_model_free(&nl);
}

/* The layer table: the blocks' rows (theta, phi.0, phi.1 pool, g.0, g.1 pool, W.0 + its BN). */
static void trace(void) {
  avs_action_model *m = ac_model("r3d_18", SMALL ",nonlocal=" NL_MASK);
  avs_action_profile p;
  int rc = m ? avs_action_profile_run(m, &p) : -1;
  if (tst_true(!rc, "r3d_18 with non-local blocks, profile: %s", rc ? avs_errmsg() : "ok")) {
    int rows = 0;
    bool w0 = false;
    for (int i = 0; i < p.trace.n; i++) {
      rows += strstr(p.trace.rows[i].name, ".nonlocal.") != NULL;
      w0 = w0 || !strcmp(p.trace.rows[i].name, "layer4.1.nonlocal.W.0");
    }
    tst_true(rows == 12 && w0 && p.traced_params == p.params, "trace: %d non-local rows (12 expected), "
             "layer4.1.nonlocal.W.0 %s; rows cover %lld of %lld parameters", rows, w0 ? "present" : "missing",
             (long long)p.traced_params, (long long)p.params);
    avs_action_profile_free(&p);
  }
  avs_model_free(&m);
}

/* `avact info -m FILE` prints the blocks (mc3_18: the smallest file, 46 MB). */
static void avact_info(void) {
  const char *dir = getenv("AVS_BUILD_DIR");
  char avact[1024], path[1024], cmd[2200], line[512];
  snprintf(avact, sizeof avact, "%s/bin/avact", dir ? dir : ".");
  if (access(avact, X_OK)) {
    printf("note: %s not built; avact info not checked\n", avact);
    return;
  }
  snprintf(path, sizeof path, "%s/action_video_nonlocal.safetensors", dir ? dir : ".");
  avs_action_model *m = ac_model("mc3_18", SMALL ",nonlocal=" NL_MASK);
  if (!m || !tst_true(!avs_model_save(m, path), "save %s: %s", path, avs_errmsg())) goto done;
  snprintf(cmd, sizeof cmd, "'%s' info -m '%s' 2>&1", avact, path);
  FILE *f = popen(cmd, "r");
  AVS_ASSERT(f);
  int rows = 0, hp = 0;
  while (fgets(line, sizeof line, f)) {
    rows += !strncmp(line, "layer1.0.nonlocal.", 18) || !strncmp(line, "layer4.1.nonlocal.", 18);
    hp += strstr(line, "nonlocal=" NL_MASK) != NULL;
  }
  int status = pclose(f);
  tst_true(status == 0 && rows == 12 && hp == 1, "avact info -m <mc3_18 file>: exit %d, %d non-local rows (12 "
           "expected), hyperparameter nonlocal=" NL_MASK " %s", status, rows, hp ? "shown" : "missing");
done:
  unlink(path);
  avs_model_free(&m);
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  bad_masks();
  placement("mc3_18");
  placement("r2plus1d_18");
  trace();
  avact_info();
  return ac_run(argv[1]);
}
