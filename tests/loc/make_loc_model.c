/* A localization model with fresh weights for the avloc checks:
 *   make_loc_model OUT.safetensors ARCH [key=value,...]
 * (the hyperparameters as `avtrain --hparams` takes them). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "av/status.h"
#include "nn/model.h"

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: make_loc_model OUT.safetensors ARCH [key=value,...]\n");
    return 2;
  }
  const avs_arch *a = avs_arch_find(argv[2], AVS_KIND_LOCALIZATION);
  void *cfg = a ? malloc(a->cfg_size) : NULL;
  avs_model *m = NULL;
  int rc = a ? (cfg ? 0 : AVS_ENOMEM) : avs_errcode();
  if (!rc) memcpy(cfg, a->cfg_default, a->cfg_size);
  if (!rc && argc > 3) rc = avs_cfg_parse(a, cfg, argv[3]);
  if (!rc) rc = avs_model_new_from(a, cfg, &m);
  if (!rc) rc = avs_model_init(m, 1);
  if (!rc) rc = avs_model_save(m, argv[1]);
  if (rc) fprintf(stderr, "make_loc_model: %s\n", avs_errmsg());
  avs_model_free(&m);
  free(cfg);
  return rc ? 1 : 0;
}
