/* The avtrain verbs' shared options and checkpoint handling (see common.h). */
#include "apps/avtrain/common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apps/common/output.h"
#include "apps/common/verbose.h"
#include "av/status.h"

static const app_opt *find_opt(const app_opt *opts, const char *name) {
  for (; opts->long_name; opts++)
    if (!strcmp(opts->long_name, name)) return opts;
  app_fail("internal: no option --%s", name); /* a verb's recipe names an option it lacks */
}

static cJSON *opt_json(const app_opt *o) {
  switch (o->type) {
  case APP_INT: return cJSON_CreateNumber(*(int *)o->dst);
  case APP_FLOAT: return cJSON_CreateNumber(*(float *)o->dst);
  case APP_FLAG: return cJSON_CreateBool(*(bool *)o->dst);
  case APP_STRING: return *(const char **)o->dst ? cJSON_CreateString(*(const char **)o->dst) : cJSON_CreateNull();
  }
  return NULL;
}

/* Whether the option holds the saved value v. */
static bool opt_equals(const app_opt *o, const cJSON *v) {
  const char *s = NULL; /* read as a pointer only where it is one (an int's slot is 4 bytes) */
  switch (o->type) {
  case APP_INT: return cJSON_IsNumber(v) && v->valuedouble == *(int *)o->dst;
  case APP_FLOAT: return cJSON_IsNumber(v) && (float)v->valuedouble == *(float *)o->dst;
  case APP_FLAG: return cJSON_IsBool(v) && cJSON_IsTrue(v) == *(bool *)o->dst;
  case APP_STRING:
    s = *(const char **)o->dst;
    return s ? cJSON_IsString(v) && !strcmp(v->valuestring, s) : cJSON_IsNull(v);
  }
  return false;
}

/* The option takes the saved value v (strings point into v: c->saved lives as long as the options). */
static bool opt_take(const app_opt *o, const cJSON *v) {
  switch (o->type) {
  case APP_INT: if (cJSON_IsNumber(v)) *(int *)o->dst = (int)v->valuedouble; return cJSON_IsNumber(v);
  case APP_FLOAT: if (cJSON_IsNumber(v)) *(float *)o->dst = (float)v->valuedouble; return cJSON_IsNumber(v);
  case APP_FLAG: if (cJSON_IsBool(v)) *(bool *)o->dst = cJSON_IsTrue(v); return cJSON_IsBool(v);
  case APP_STRING:
    if (cJSON_IsString(v) || cJSON_IsNull(v)) *(const char **)o->dst = cJSON_GetStringValue(v);
    return cJSON_IsString(v) || cJSON_IsNull(v);
  }
  return false;
}

/* "0.003", "4", "cosine": the value as the refusal names it. */
static void text_of(char *buf, size_t n, const app_opt *o, const cJSON *v) {
  if (cJSON_IsNumber(v) && o->type == APP_FLOAT) { /* the shortest text that reads back as the same float */
    for (int digits = 6; digits <= 9; digits++) {
      snprintf(buf, n, "%.*g", digits, v->valuedouble);
      if ((float)strtod(buf, NULL) == (float)v->valuedouble) break;
    }
  } else if (cJSON_IsNumber(v)) snprintf(buf, n, "%.0f", v->valuedouble);
  else if (cJSON_IsString(v)) snprintf(buf, n, "%s", v->valuestring);
  else snprintf(buf, n, "%s", cJSON_IsTrue(v) ? "given" : cJSON_IsNull(v) ? "none" : "not given");
}

/* --resume: every recipe option not on the command line takes the checkpoint's value; one given with
 * another value is refused (a changed batch, rate or schedule would silently make another run). */
static void take_saved_recipe(train_common *c, const app_opt *opts, const char *const *recipe, const char *dir) {
  char *text = NULL;
  if (avs_trainer_load_recipe(dir, &text)) app_fail_status(avs_errcode());
  if (!text) {
    if (app_file_exists(dir))
      app_warn("the checkpoint in %s does not record its training options: those of this command line are used", dir);
    return;
  }
  c->saved = cJSON_Parse(text);
  free(text);
  if (!cJSON_IsObject(c->saved)) app_fail("damaged checkpoint in %s: its training options are not a JSON object", dir);
  for (const char *const *name = recipe; *name; name++) {
    const app_opt *o = find_opt(opts, *name);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->saved, *name);
    if (!v) continue; /* an option newer than the checkpoint keeps its default */
    if (!app_given(o->dst)) {
      if (!opt_take(o, v)) app_fail("damaged checkpoint in %s: a bad value for --%s", dir, *name);
      continue;
    }
    if (opt_equals(o, v)) continue;
    cJSON *now = opt_json(o);
    char was[128], given[128];
    text_of(was, sizeof was, o, v), text_of(given, sizeof given, o, now);
    cJSON_Delete(now);
    if (&c->epochs != o->dst)
      app_usage_error("--resume: --%s %s contradicts the checkpoint's %s (in %s); leave it out to go on as it was",
                      *name, given, was, dir);
    /* A run may be extended (or cut short): at a constant rate the steps are the same; a cosine
     * schedule is stretched over the new number of epochs from here on, which the user must know. */
    if (strcmp(c->schedule, "constant"))
      app_warn("--epochs %s instead of the checkpoint's %s: the cosine schedule goes on as planned for %s epochs "
               "(the learning rate changes from the next step)", given, was, given);
  }
}

static char *recipe_text(const app_opt *opts, const char *const *recipe) {
  cJSON *r = cJSON_CreateObject();
  for (const char *const *name = recipe; r && *name; name++)
    cJSON_AddItemToObject(r, *name, opt_json(find_opt(opts, *name)));
  char *text = r ? cJSON_PrintUnformatted(r) : NULL;
  cJSON_Delete(r);
  if (!text) app_fail("out of memory");
  return text;
}

char *train_common_check(train_common *c, const app_opt *opts, const char *const *recipe) {
  if (!c->manifest) app_usage_error("--manifest is required");
  if (c->ckpt_dir && !c->ckpt_dir[0]) app_usage_error("--checkpoints: empty folder name");
  if (!c->out[0]) app_usage_error("--out: empty file name");
  char *dir = c->ckpt_dir ? strdup(c->ckpt_dir) : avs_trainer_default_ckpt_dir(c->out);
  if (!dir) app_fail("out of memory");
  if (c->resume) take_saved_recipe(c, opts, recipe, dir);
  if (strcmp(c->schedule, "cosine") && strcmp(c->schedule, "constant"))
    app_usage_error("--schedule must be cosine or constant, not '%s'", c->schedule);
  if (strcmp(c->optimizer, "sgd") && strcmp(c->optimizer, "adam") && strcmp(c->optimizer, "adamw"))
    app_usage_error("--optimizer must be adamw, adam or sgd, not '%s'", c->optimizer);
  /* fp32 unless asked: bf16 changes the numbers of a run (every context made from here on has it) */
  if (!c->precision) c->precision = "fp32";
  avs_precision precision;
  int st = avs_precision_parse(c->precision, &precision);
  if (st == AVS_EINVAL) app_usage_error("--precision: %s", avs_errmsg());
  if (st) app_fail_status(st);
  avs_precision_set_default(precision);
  c->recipe = recipe_text(opts, recipe);
  /* the outputs are written after the first epoch: a bad place must fail now, not after hours */
  app_check_out_file(c->out, "--out");
  app_check_out_dir(dir, "--checkpoints");
  /* A trained model is hours of work: never replaced by accident. A resumed run writes its own best model;
   * a folder holding a checkpoint gets its own message (train_checkpoint_model: --resume). */
  char last[4096];
  snprintf(last, sizeof last, "%s/last.safetensors", dir);
  if (!c->resume && !c->force && app_file_exists(c->out) && !app_file_exists(last))
    app_fail("%s already exists: add --force to replace it, or choose another --out", c->out);
  return dir;
}

void train_common_free(train_common *c) {
  cJSON_Delete(c->saved);
  free(c->recipe);
  c->saved = NULL, c->recipe = NULL;
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
                        .clip_norm = c->clip_norm, .lr_scales = c->lr_scale, .out = c->out, .ckpt_dir = ckpt_dir,
                        .recipe = c->recipe};
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

/* "40 s", "12 min", "2.5 h". */
static const char *duration(char *buf, size_t n, double s) {
  if (s < 90) snprintf(buf, n, "%.0f s", s);
  else if (s < 90 * 60) snprintf(buf, n, "%.0f min", s / 60);
  else snprintf(buf, n, "%.1f h", s / 3600);
  return buf;
}

void train_run(avs_trainer *t, const avs_trainer_task *task) {
  avs_trainer_estimate e;
  if (avs_trainer_estimate_cost(t, task, &e)) app_fail_status(avs_errcode());
  int left = avs_trainer_epochs_left(t);
  char per[32], all[32];
  duration(per, sizeof per, e.epoch_seconds), duration(all, sizeof all, e.run_seconds);
  app_info("estimate: about %s per epoch, %s for %d epoch%s, %.1f GB of memory", per, all, left, left == 1 ? "" : "s",
           e.bytes / 1e9);
  double ram = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGE_SIZE);
  if (e.run_seconds >= 3600 || e.bytes >= 10e9 || (ram > 0 && e.bytes > 0.5 * ram))
    app_warn("this run will take about %s (%s per epoch) and %.1f GB of memory%s: a smaller model (--hparams), "
             "fewer clips or epochs cost less", all, per, e.bytes / 1e9,
             ram > 0 && e.bytes > 0.5 * ram ? " (more than half of this machine's)" : "");
  if (avs_trainer_run(t, task)) app_fail_status(avs_errcode());
}
