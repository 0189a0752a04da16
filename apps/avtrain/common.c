/* The avtrain verbs' shared options and checkpoint handling (see common.h). */
#include "apps/avtrain/common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apps/common/output.h"
#include "apps/common/verbose.h"
#include "av/status.h"

char *train_common_check(const train_common *c) {
  if (!c->manifest) app_usage_error("--manifest is required");
  if (strcmp(c->schedule, "cosine") && strcmp(c->schedule, "constant"))
    app_usage_error("--schedule must be cosine or constant, not '%s'", c->schedule);
  if (strcmp(c->optimizer, "sgd") && strcmp(c->optimizer, "adam") && strcmp(c->optimizer, "adamw"))
    app_usage_error("--optimizer must be adamw, adam or sgd, not '%s'", c->optimizer);
  if (c->ckpt_dir && !c->ckpt_dir[0]) app_usage_error("--checkpoints: empty folder name");
  char *dir = c->ckpt_dir ? strdup(c->ckpt_dir) : avs_trainer_default_ckpt_dir(c->out);
  if (!dir) app_fail("out of memory");
  /* A trained model is hours of work: never replaced by accident. A resumed run writes its own best model;
   * a folder holding a checkpoint gets its own message (train_checkpoint_model: --resume). */
  char last[4096];
  snprintf(last, sizeof last, "%s/last.safetensors", dir);
  if (!c->resume && !c->force && app_file_exists(c->out) && !app_file_exists(last))
    app_fail("%s already exists: add --force to replace it, or choose another --out", c->out);
  return dir;
}

char *train_val_path(const train_common *c) {
  if (c->val) return strcmp(c->val, "none") ? strdup(c->val) : NULL;
  const char *slash = strrchr(c->manifest, '/');
  size_t d = slash ? (size_t)(slash - c->manifest) + 1 : 0, n = d + 16;
  char *p = malloc(n);
  if (!p) app_fail("out of memory");
  snprintf(p, n, "%.*s%s", (int)d, c->manifest, "val.jsonl");
  if (!app_file_exists(p) || !strcmp(p, c->manifest)) free(p), p = NULL;
  return p;
}

avs_model *train_checkpoint_model(const train_common *c, const char *ckpt_dir, int kind, const char *const *kept) {
  avs_model *m = NULL;
  if (!c->resume) {
    char *last = malloc(strlen(ckpt_dir) + 20);
    if (!last) app_fail("out of memory");
    sprintf(last, "%s/last.safetensors", ckpt_dir);
    if (app_file_exists(last))
      app_fail("%s already holds a checkpoint: add --resume to go on from it, or choose another --checkpoints", ckpt_dir);
    free(last);
    return NULL;
  }
  if (avs_trainer_load_model(ckpt_dir, kind, kept, &m)) app_fail_status(avs_errcode());
  if (!m) app_fail("--resume: no checkpoint in %s", ckpt_dir);
  if (c->arch && strcmp(c->arch, m->arch->name))
    app_fail("the checkpoint in %s is a %s model, not --arch %s", ckpt_dir, m->arch->name, c->arch);
  return m;
}

avs_trainer *train_start(const train_common *c, avs_model *m, const char *ckpt_dir) {
  avs_trainer_cfg tc = {.epochs = c->epochs, .batch = c->batch, .seed = c->seed, .lr = c->lr, .schedule = c->schedule,
                        .optimizer = c->optimizer, .weight_decay = c->weight_decay, .momentum = c->momentum,
                        .clip_norm = c->clip_norm, .out = c->out, .ckpt_dir = ckpt_dir};
  avs_trainer *t = NULL;
  if (avs_trainer_new(m, &tc, c->resume, &t)) app_fail_status(avs_errcode());
  app_verbose_model(m, c->out);
  if (c->resume) {
    int done = avs_trainer_epochs_done(t);
    if (done >= c->epochs) app_fail("the checkpoint in %s has already done %d of --epochs %d", ckpt_dir, done, c->epochs);
    app_info("resuming %s after epoch %d", ckpt_dir, done);
  }
  return t;
}

double train_field(const cJSON *rec, const char *key) {
  return cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(rec, key));
}

void train_progress_update(void *user, int epoch, int done, int total) {
  train_progress *p = user;
  if (!p->what[0] || strncmp(p->what, "epoch ", 6) || atoi(p->what + 6) != epoch + 1) {
    snprintf(p->what, sizeof p->what, "epoch %d/%d", epoch + 1, p->epochs);
    app_progress_start(&p->pr, p->what, total);
  }
  app_progress_update(&p->pr, done);
  if (done == total) app_progress_end(&p->pr), p->what[0] = 0;
}

avs_model *train_new_model(const train_common *c, int kind) {
  const avs_arch *a = avs_arch_find(c->arch, kind);
  if (!a) app_usage_error("--arch: %s", avs_errmsg());
  void *cfg = malloc(a->cfg_size);
  if (!cfg) app_fail("out of memory");
  memcpy(cfg, a->cfg_default, a->cfg_size);
  if (c->hparams && avs_cfg_parse(a, cfg, c->hparams)) app_usage_error("--hparams: %s", avs_errmsg());
  avs_model *m = NULL;
  if (avs_model_new_from(a, cfg, &m)) app_usage_error("--hparams: %s", avs_errmsg());
  if (avs_model_init(m, (uint64_t)c->seed)) app_fail_status(avs_errcode());
  free(cfg);
  return m;
}
