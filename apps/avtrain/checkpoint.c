/* Training checkpoints: see avtrain.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apps/avtrain/avtrain.h"
#include "apps/common/cli.h"
#include "apps/common/output.h"
#include "av/params.h"
#include "av/status.h"

static char *path_in(const char *dir, const char *name) {
  size_t n = strlen(dir) + strlen(name) + 2;
  char *p = malloc(n);
  if (!p) app_fail("out of memory");
  snprintf(p, n, "%s/%s", dir, name);
  return p;
}

static void write_text(const char *path, const char *text) {
  char *tmp = app_tmp_path(path);
  app_cleanup_on_exit(tmp);
  FILE *f = fopen(tmp, "w");
  if (!f || fputs(text, f) == EOF || fclose(f)) app_fail("cannot write %s", path);
  app_cleanup_forget(tmp);
  app_commit(tmp, path);
  free(tmp);
}

void checkpoint_save(const char *dir, const avs_action_model *m, const avs_optim *opt, const train_position *pos) {
  app_mkdirs(dir);
  char epoch[32], best[32];
  snprintf(epoch, sizeof epoch, "%d", pos->epoch);
  snprintf(best, sizeof best, "%.17g", pos->best_top1);
  char *model_path = path_in(dir, "last.safetensors"), *optim_path = path_in(dir, "optim.safetensors");
  char *history_path = path_in(dir, "history.json");
  const char *model_epoch = avs_params_get_meta(&m->params, "train.epoch");
  if (!model_epoch || strcmp(model_epoch, epoch)) app_fail("internal: the model's train.epoch is not %s", epoch);
  if (avs_model_save(m, model_path)) app_fail_status(avs_errcode());
  avs_st_writer *w = avs_st_writer_new();
  if (!w || avs_optim_state_write(opt, w) || avs_st_writer_meta(w, "train.epoch", epoch) ||
      avs_st_writer_meta(w, "train.best_top1", best) || avs_st_writer_save(w, optim_path))
    app_fail_status(avs_errcode());
  avs_st_writer_free(&w);
  write_text(history_path, pos->history);
  free(model_path), free(optim_path), free(history_path);
}

bool checkpoint_load_model(const char *dir, avs_action_model **m) {
  char *model_path = path_in(dir, "last.safetensors");
  bool found = app_file_exists(model_path);
  if (found && avs_action_model_load(model_path, m)) app_fail_status(avs_errcode());
  free(model_path);
  return found;
}

static int meta_int(const avs_st *st, const char *key, const char *path) {
  const char *v = avs_st_meta(st, key);
  char *end;
  long n = v ? strtol(v, &end, 10) : -1;
  if (!v || *end || n < 0) app_fail("damaged checkpoint: no valid %s in %s", key, path);
  return (int)n;
}

void checkpoint_load_optim(const char *dir, avs_optim *opt, train_position *pos) {
  char *model_path = path_in(dir, "last.safetensors"), *optim_path = path_in(dir, "optim.safetensors");
  char *history_path = path_in(dir, "history.json");
  avs_st *model = NULL, *st = NULL;
  if (avs_st_open(model_path, &model)) app_fail_status(avs_errcode());
  if (avs_st_open(optim_path, &st)) app_fail("checkpoint without optimizer state: %s", avs_errmsg());
  int epoch = meta_int(st, "train.epoch", optim_path);
  if (meta_int(model, "train.epoch", model_path) != epoch)
    app_fail("damaged checkpoint in %s: the model and the optimizer state are from different epochs", dir);
  if (avs_optim_state_read(opt, st)) app_fail("%s: %s", optim_path, avs_errmsg());
  const char *best = avs_st_meta(st, "train.best_top1");
  pos->epoch = epoch;
  pos->best_top1 = best ? atof(best) : -1;
  FILE *f = fopen(history_path, "r");
  if (f) {
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *text = malloc((size_t)n + 1);
    if (!text || fread(text, 1, (size_t)n, f) != (size_t)n) app_fail("cannot read %s", history_path);
    text[n] = 0;
    free(pos->history);
    pos->history = text;
    fclose(f);
  }
  avs_st_close(&model), avs_st_close(&st);
  free(model_path), free(optim_path), free(history_path);
}
