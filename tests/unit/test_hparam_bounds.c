/* Every integer hyperparameter of every architecture is bounded: one step
 * past either end of its range and the int extremes are refused by
 * avs_cfg_set with one line naming the key and the range, whether they come
 * from --hparams or a model file's metadata (both go through avs_cfg_set).
 * Within the range, tensor creation (avs_shape_check) refuses what is too
 * large; tests/unit/test_elem_args.c checks that. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/model.h"
#include "tests/harness.h"

int main(void) {
  for (int i = 0; i < avs_arch_count(); i++) {
    const avs_arch *a = avs_arch_at(i);
    void *cfg = malloc(a->cfg_size);
    AVS_ASSERT(cfg);
    memcpy(cfg, a->cfg_default, a->cfg_size);
    int tried = 0, bad = 0;
    for (int k = 0; k < a->n_hparams; k++) {
      const avs_hparam *h = &a->hparams[k];
      if (h->type != AVS_HP_INT) continue;
      long lo = h->min || h->max ? h->min : AVS_HP_INT_MIN, hi = h->min || h->max ? h->max : AVS_HP_INT_MAX;
      const long values[] = {lo - 1, hi + 1, 2147483647L, -2147483647L - 1};
      for (size_t v = 0; v < sizeof values / sizeof *values; v++, tried++) {
        char text[32], range[64];
        snprintf(text, sizeof text, "%ld", values[v]);
        snprintf(range, sizeof range, "out of range [%ld, %ld]", lo, hi);
        if (avs_cfg_set(a, cfg, h->key, text) != AVS_EINVAL || !strstr(avs_errmsg(), range) ||
            !strstr(avs_errmsg(), h->key)) {
          bad++;
          printf("     %s %s=%s: %s\n", a->name, h->key, text, avs_errmsg());
        }
      }
    }
    tst_true(!bad && !memcmp(cfg, a->cfg_default, a->cfg_size),
             "%s: %d out-of-range integer hyperparameters refused, the configuration untouched", a->name, tried);
    free(cfg);
  }
  return tst_finish();
}
