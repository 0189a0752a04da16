/* Losses against PyTorch (mean reduction): forward and gradients of every
 * differentiable input (targets included where PyTorch differentiates them).
 * Sums run in double here and in float there, hence 1e-5 relative forward. */
#include "tests/parity/op_cases.h"

static const oc_tol tols[] = {
    /* op               fwd atol, rtol   grad atol, rtol */
    {"l1_loss", 1e-6f, 1e-5f, 1e-9f, 1e-5f},
    {"mse_loss", 1e-6f, 1e-5f, 1e-9f, 1e-5f},
    {"bce_loss", 1e-6f, 1e-5f, 1e-8f, 1e-4f},
    {"bce_logits_loss", 1e-6f, 1e-5f, 1e-8f, 1e-4f},
    {"cross_entropy", 1e-6f, 1e-5f, 1e-8f, 1e-4f},
    {"info_nce", 1e-5f, 1e-5f, 1e-7f, 1e-4f},
    {NULL, 0, 0, 0, 0},
};

static avs_tensor *run(avs_ctx *ctx, avs_st *st, const char *name, const char *op, avs_tensor **in, int n) {
  if (!strcmp(op, "l1_loss")) return avs_l1_loss(ctx, in[0], in[1]);
  if (!strcmp(op, "mse_loss")) return avs_mse_loss(ctx, in[0], in[1]);
  if (!strcmp(op, "bce_loss")) return avs_bce_loss(ctx, in[0], in[1], n > 2 ? in[2] : NULL);
  if (!strcmp(op, "bce_logits_loss")) return avs_bce_logits_loss(ctx, in[0], in[1], n > 2 ? in[2] : NULL);
  if (!strcmp(op, "cross_entropy")) {
    avs_tensor *l = tst_tensor(st, "%s.labels", name);
    int labels[1024];
    for (int64_t i = 0; i < l->numel && i < 1024; i++) labels[i] = (int)l->data[i];
    avs_tensor_free(&l);
    return avs_cross_entropy(ctx, in[0], labels);
  }
  if (!strcmp(op, "info_nce")) return avs_info_nce(ctx, in[0], in[1], (float)tst_meta_float(st, "%s.temperature", name));
  return NULL;
}

int main(int argc, char **argv) { return oc_main(argc, argv, run, tols); }
