/* Resolving -m/--model for every verb. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apps/avact/avact.h"
#include "apps/common/cli.h"
#include "apps/common/output.h"
#include "av/status.h"

avs_action_model *avact_model_open(const char *spec, bool arch_ok, const char *hparams) {
  avs_action_model *m = NULL;
  if (app_file_exists(spec)) {
    if (avs_action_model_load(spec, &m)) app_fail_status(avs_errcode());
    return m;
  }
  const avs_action_arch *a = arch_ok ? avs_action_arch_find(spec) : NULL;
  if (a) {
    void *cfg = malloc(a->cfg_size);
    if (!cfg) app_fail("out of memory");
    memcpy(cfg, a->cfg_default, a->cfg_size);
    if (hparams && avs_cfg_parse(a, cfg, hparams)) app_usage_error("--hparams: %s", avs_errmsg());
    if (avs_action_model_new(spec, cfg, &m)) app_fail_status(avs_errcode());
    free(cfg);
    return m;
  }
  if (arch_ok) {
    avs_action_arch_find(spec); /* message lists the known names */
    app_fail("'%s' is neither a model file nor an architecture: %s", spec, avs_errmsg());
  }
  app_fail("model file not found (%s)", spec);
}
