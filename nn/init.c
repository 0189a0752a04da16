/* Fresh weights for training from scratch, by tensor role as PyTorch
 * models initialise them:
 *   conv weights (".weight", 3-D or more)   kaiming_normal_(fan_out, relu), bias 0
 *                                           (torchvision's ResNets; C3D alike)
 *   linear weights (".weight", 2-D)         nn.Linear's default: kaiming_uniform_(a=sqrt 5),
 *                                           bias U(+-1/sqrt(fan_in))
 *   LSTM weight_ih/hh, bias_ih/hh           U(+-1/sqrt(hidden)) (nn.LSTM's default)
 *   a gate's linear (".gate.weight")        0, bias 0: a path added to a model, which starts
 *                                           without it (cosep's prior_gate)
 *   other tensors of 2+ dims                N(0, 0.02): position embeddings, class tokens
 *   1-D norm weights and biases, buffers    as declared (BN/LN weight 1, bias 0,
 *                                           running stats 0/1; a non-local block's BN 0) */
#include <math.h>
#include <string.h>

#include "av/optim.h"
#include "av/status.h"
#include "nn/model.h"
#include "nn/unit.h"

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && !strcmp(s + n - k, suffix);
}

/* The ".bias" next to a ".weight", or NULL. */
static avs_tensor *bias_of(const avs_params *p, const avs_tensor *w) {
  char name[AVS_NAME_MAX];
  size_t n = strlen(w->name) - strlen("weight");
  if (n + 5 >= sizeof name) return NULL;
  memcpy(name, w->name, n);
  strcpy(name + n, "bias");
  return avs_params_find(p, name);
}

/* LSTM hidden size: weight_hh_l* is (4H, H). */
static int64_t lstm_hidden(const avs_params *p) {
  for (int i = 0; i < p->n; i++)
    if (strstr(p->t[i]->name, "weight_hh_l")) return p->t[i]->shape[1];
  return 0;
}

int avs_model_init(avs_model *m, uint64_t seed) {
  avs_params *p = &m->params;
  avs_rng rng;
  avs_rng_seed(&rng, seed);
  for (int i = 0; i < p->n; i++) {
    avs_tensor *t = p->t[i];
    if (!t->requires_grad) continue; /* buffers */
    const char *name = t->name;
    if (strstr(name, "weight_ih_l") || strstr(name, "weight_hh_l") || strstr(name, "bias_ih_l") ||
        strstr(name, "bias_hh_l")) {
      float k = 1.0f / sqrtf((float)lstm_hidden(p));
      avs_init_uniform(t, -k, k, &rng);
    } else if (ends_with(name, "weight") && t->ndim >= 3) {
      avs_init_kaiming_normal_fan_out(t, t->numel / t->shape[1], &rng);
      avs_tensor *b = bias_of(p, t);
      if (b) avs_init_constant(b, 0.0f);
    } else if (ends_with(name, ".gate.weight") && t->ndim == 2) {
      avs_init_constant(t, 0.0f);
      avs_tensor *b = bias_of(p, t);
      if (b) avs_init_constant(b, 0.0f);
    } else if (ends_with(name, "weight") && t->ndim == 2) {
      avs_init_torch_default(t, bias_of(p, t), &rng);
    } else if (t->ndim >= 2) {
      avs_init_normal(t, 0.0f, 0.02f, &rng);
    }
    t->version++;
  }
  return AVS_OK;
}
