/* Writes a model file at fresh random weights, for command-line checks that
 * need a model of a kind but not a trained one (a trained model is minutes of
 * CPU; scoring needs only a file the app loads and runs):
 *
 *   loc_make_model ARCH HPARAMS SEED OUT      e.g. ezvsl "width=4,size=32" 1 tiny.safetensors
 *
 * HPARAMS is avs_cfg_parse's "key=value,..." ("" keeps the defaults). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "av/status.h"
#include "nn/model.h"

int main(int argc, char **argv) {
  if (argc != 5) return fprintf(stderr, "usage: %s ARCH HPARAMS SEED OUT\n", argv[0]), 2;
  const avs_arch *a = avs_arch_find(argv[1], -1);
  void *cfg = a ? malloc(a->cfg_size) : NULL;
  avs_model *m = NULL;
  int rc = a ? (cfg ? AVS_OK : avs_seterr(AVS_ENOMEM, "out of memory")) : avs_errcode();
  if (!rc) memcpy(cfg, a->cfg_default, a->cfg_size);
  if (!rc && argv[2][0]) rc = avs_cfg_parse(a, cfg, argv[2]);
  if (!rc) rc = avs_model_new_from(a, cfg, &m);
  if (!rc) rc = avs_model_init(m, strtoull(argv[3], NULL, 10));
  if (!rc) rc = avs_model_save(m, argv[4]);
  if (rc) fprintf(stderr, "%s: %s\n", argv[0], avs_errmsg());
  avs_model_free(&m);
  free(cfg);
  return rc ? 1 : 0;
}
