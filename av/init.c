/* Parameter initialisers with torch.nn.init's formulas (1.13):
 *   gain(leaky_relu, a) = sqrt(2 / (1 + a^2)), gain(relu) = sqrt(2)
 *   kaiming_uniform_:  U(-b, b), b = gain * sqrt(3 / fan)
 *   kaiming_normal_:   N(0, gain / sqrt(fan))
 *   xavier_uniform_:   U(-b, b), b = sqrt(6 / (fan_in + fan_out))
 * The random stream is avs_rng's, not PyTorch's: distributions match, values do not.
 * Each initialiser bumps the tensor's version (an in-place update). */
#include <math.h>

#include "av/optim.h"

void avs_init_uniform(avs_tensor *t, float lo, float hi, avs_rng *rng) {
  for (int64_t i = 0; i < t->numel; i++) t->data[i] = lo + (hi - lo) * avs_rng_uniform(rng);
  t->version++;
}

void avs_init_normal(avs_tensor *t, float mean, float std, avs_rng *rng) {
  for (int64_t i = 0; i < t->numel; i++) t->data[i] = mean + std * avs_rng_normal(rng);
  t->version++;
}

void avs_init_constant(avs_tensor *t, float value) {
  for (int64_t i = 0; i < t->numel; i++) t->data[i] = value;
  t->version++;
}

static double fan_or_1(int64_t fan) { return fan > 0 ? (double)fan : 1.0; }

void avs_init_kaiming_uniform(avs_tensor *t, float a, int64_t fan_in, avs_rng *rng) {
  double gain = sqrt(2.0 / (1.0 + (double)a * a));
  float bound = (float)(gain * sqrt(3.0 / fan_or_1(fan_in)));
  avs_init_uniform(t, -bound, bound, rng);
}

void avs_init_kaiming_normal_fan_out(avs_tensor *t, int64_t fan_out, avs_rng *rng) {
  avs_init_normal(t, 0.0f, (float)(sqrt(2.0) / sqrt(fan_or_1(fan_out))), rng);
}

void avs_init_xavier_uniform(avs_tensor *t, int64_t fan_in, int64_t fan_out, avs_rng *rng) {
  float bound = (float)sqrt(6.0 / fan_or_1(fan_in + fan_out));
  avs_init_uniform(t, -bound, bound, rng);
}

void avs_init_torch_default(avs_tensor *w, avs_tensor *b, avs_rng *rng) {
  /* fan_in = size(1) * prod(size(2:)); a 1-D weight counts as fan_in 1 */
  int64_t fan_in = 1;
  for (int i = 1; i < w->ndim; i++) fan_in *= w->shape[i];
  avs_init_kaiming_uniform(w, sqrtf(5.0f), fan_in, rng); /* bound = 1/sqrt(fan_in) */
  if (b) {
    float bound = fan_in > 0 ? (float)(1.0 / sqrt((double)fan_in)) : 0.0f;
    avs_init_uniform(b, -bound, bound, rng);
  }
}
