/* The trainer core (see trainer.h). */
#include "nn/trainer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "av/files.h"
#include "av/ops.h"
#include "av/params.h"
#include "av/rng.h"
#include "av/status.h"

struct avs_trainer {
  avs_model *m;
  avs_trainer_cfg cfg;
  avs_tensor **params;
  int n_params;
  avs_optim *opt;
  int epoch;        /* epochs completed */
  double best;      /* best validation score so far (-inf: none) */
  cJSON *history;   /* array of epoch records */
};

static char *path_in(const char *dir, const char *name) {
  size_t n = strlen(dir) + strlen(name) + 2;
  char *p = malloc(n);
  if (p) snprintf(p, n, "%s/%s", dir, name);
  return p;
}

char *avs_trainer_default_ckpt_dir(const char *out) {
  size_t n = strlen(out);
  const char *ext = ".safetensors";
  size_t k = strlen(ext);
  char *d = malloc(n + 8);
  if (!d) return NULL;
  if (n > k && !strcmp(out + n - k, ext)) n -= k;
  snprintf(d, n + 8, "%.*s.ckpt", (int)n, out);
  return d;
}

int avs_trainer_load_model(const char *dir, int kind, const char *const *kept, avs_model **m) {
  *m = NULL;
  char *path = path_in(dir, "last.safetensors");
  if (!path) return avs_seterr(AVS_ENOMEM, "out of memory");
  struct stat sb;
  int rc = stat(path, &sb) ? AVS_OK : avs_model_load(path, kind, NULL, kept, m);
  free(path);
  return rc;
}

int avs_trainer_load_recipe(const char *dir, char **recipe) {
  *recipe = NULL;
  char *path = path_in(dir, "optim.safetensors");
  if (!path) return avs_seterr(AVS_ENOMEM, "out of memory");
  struct stat sb;
  avs_st *st = NULL;
  int rc = stat(path, &sb) ? AVS_OK : avs_st_open(path, &st);
  const char *text = st ? avs_st_meta(st, "train.recipe") : NULL;
  if (text && !(*recipe = strdup(text))) rc = avs_seterr(AVS_ENOMEM, "out of memory");
  avs_st_close(&st);
  free(path);
  return rc;
}

static int meta_int(const avs_st *st, const char *key, const char *path, int *v) {
  const char *s = avs_st_meta(st, key);
  char *end;
  long n = s ? strtol(s, &end, 10) : -1;
  if (!s || *end || n < 0 || n > 1000000) return avs_seterr(AVS_EFORMAT, "damaged checkpoint: no valid %s in %s", key, path);
  *v = (int)n;
  return AVS_OK;
}

/* Optimizer state, position and history from the checkpoint in dir. */
static int load_state(avs_trainer *t, const char *dir) {
  char *model_path = path_in(dir, "last.safetensors"), *optim_path = path_in(dir, "optim.safetensors");
  char *history_path = path_in(dir, "history.json"), *text = NULL;
  avs_st *model = NULL, *st = NULL;
  int rc = AVS_OK, model_epoch = 0;
  if (!model_path || !optim_path || !history_path) {
    rc = avs_seterr(AVS_ENOMEM, "out of memory");
    goto done;
  }
  if ((rc = avs_st_open(model_path, &model))) goto done;
  if ((rc = avs_st_open(optim_path, &st))) {
    rc = avs_seterr(rc, "checkpoint without optimizer state in %s", dir);
    goto done;
  }
  if ((rc = meta_int(st, "train.epoch", optim_path, &t->epoch)) ||
      (rc = meta_int(model, "train.epoch", model_path, &model_epoch)))
    goto done;
  if (model_epoch != t->epoch) {
    rc = avs_seterr(AVS_EFORMAT, "damaged checkpoint in %s: the model and the optimizer state are from different epochs",
                    dir);
    goto done;
  }
  if ((rc = avs_optim_state_read(t->opt, st))) {
    rc = avs_errprefix(rc, optim_path);
    goto done;
  }
  const char *best = avs_st_meta(st, "train.best");
  if (!best) best = avs_st_meta(st, "train.best_top1"); /* checkpoints of avtrain action before the trainer core */
  t->best = best ? strtod(best, NULL) : -INFINITY;
  if (!avs_read_text(history_path, &text)) {
    cJSON *h = cJSON_Parse(text);
    if (cJSON_IsArray(h)) cJSON_Delete(t->history), t->history = h;
    else cJSON_Delete(h);
  }
  avs_clearerr();
done:
  avs_st_close(&model), avs_st_close(&st);
  free(model_path), free(optim_path), free(history_path), free(text);
  return rc;
}

static int save_checkpoint(const avs_trainer *t) {
  const char *dir = t->cfg.ckpt_dir;
  int rc = avs_mkdirs(dir);
  if (rc) return rc;
  char epoch[32], best[32];
  snprintf(epoch, sizeof epoch, "%d", t->epoch);
  snprintf(best, sizeof best, "%.17g", t->best);
  char *model_path = path_in(dir, "last.safetensors"), *optim_path = path_in(dir, "optim.safetensors");
  char *history_path = path_in(dir, "history.json"), *history = cJSON_Print(t->history);
  avs_st_writer *w = avs_st_writer_new();
  if (!model_path || !optim_path || !history_path || !history || !w) {
    rc = avs_seterr(AVS_ENOMEM, "out of memory");
    goto done;
  }
  if ((rc = avs_model_save(t->m, model_path)) || (rc = avs_optim_state_write(t->opt, w)) ||
      (rc = avs_st_writer_meta(w, "train.epoch", epoch)) || (rc = avs_st_writer_meta(w, "train.best", best)) ||
      (t->cfg.recipe && (rc = avs_st_writer_meta(w, "train.recipe", t->cfg.recipe))) ||
      (rc = avs_st_writer_save(w, optim_path)))
    goto done;
  rc = avs_write_text(history_path, history);
done:
  avs_st_writer_free(&w);
  free(model_path), free(optim_path), free(history_path), free(history);
  return rc;
}

/* Applies cfg->lr_scales ("PREFIX=FACTOR,...") to the optimizer's parameters. */
static int apply_lr_scales(avs_trainer *t, const char *spec) {
  if (!spec || !*spec) return AVS_OK;
  char *copy = strdup(spec);
  size_t *best = calloc((size_t)t->n_params, sizeof *best); /* length of the prefix that set each scale */
  int rc = copy && best ? AVS_OK : avs_seterr(AVS_ENOMEM, "out of memory");
  char *save = NULL;
  for (char *item = copy ? strtok_r(copy, ",", &save) : NULL; !rc && item; item = strtok_r(NULL, ",", &save)) {
    char *eq = strchr(item, '='), *end = NULL;
    double f = eq ? strtod(eq + 1, &end) : NAN;
    if (!eq || eq == item || end == eq + 1 || *end || !(f >= 0 && f <= 1000)) {
      rc = avs_seterr(AVS_EINVAL, "learning-rate scale '%s' is not PREFIX=FACTOR with FACTOR in [0, 1000]", item);
      break;
    }
    *eq = 0;
    size_t len = strlen(item);
    int matched = 0;
    for (int i = 0; !rc && i < t->n_params; i++) {
      const char *name = t->params[i]->name;
      if (!name || strncmp(name, item, len)) continue;
      matched++;
      if (len < best[i]) continue;
      best[i] = len;
      rc = avs_optim_set_lr_scale(t->opt, i, (float)f);
    }
    if (!rc && !matched) rc = avs_seterr(AVS_EINVAL, "learning-rate scale: no parameter of %s starts with '%s'",
                                         t->m->arch->name, item);
  }
  free(copy), free(best);
  return rc;
}

int avs_trainer_new(avs_model *m, const avs_trainer_cfg *cfg, bool resume, avs_trainer **out) {
  *out = NULL;
  bool sgd = !strcmp(cfg->optimizer, "sgd"), adamw = !strcmp(cfg->optimizer, "adamw");
  if (!sgd && !adamw && strcmp(cfg->optimizer, "adam"))
    return avs_seterr(AVS_EINVAL, "optimizer must be adamw, adam or sgd, not '%s'", cfg->optimizer);
  if (strcmp(cfg->schedule, "cosine") && strcmp(cfg->schedule, "constant"))
    return avs_seterr(AVS_EINVAL, "schedule must be cosine or constant, not '%s'", cfg->schedule);
  if (cfg->epochs < 1 || cfg->batch < 1) return avs_seterr(AVS_EINVAL, "epochs and batch must be positive");
  avs_trainer *t = calloc(1, sizeof *t);
  if (!t || !(t->history = cJSON_CreateArray())) {
    free(t);
    return avs_seterr(AVS_ENOMEM, "out of memory");
  }
  t->m = m, t->cfg = *cfg, t->best = -INFINITY;
  int rc = AVS_OK;
  if (!(t->params = avs_model_trainable(m, &t->n_params))) {
    rc = avs_errcode();
    goto fail;
  }
  t->opt = sgd ? avs_sgd_new(t->params, t->n_params, cfg->lr, cfg->momentum, cfg->weight_decay, cfg->momentum > 0)
               : avs_adam_new(t->params, t->n_params, cfg->lr, 0, 0, 0, cfg->weight_decay, adamw);
  if (!t->opt) {
    rc = avs_errcode();
    goto fail;
  }
  if ((rc = apply_lr_scales(t, cfg->lr_scales))) goto fail;
  if (resume && (rc = load_state(t, cfg->ckpt_dir))) goto fail;
  *out = t;
  return AVS_OK;
fail:
  avs_trainer_free(&t);
  return rc;
}

void avs_trainer_free(avs_trainer **tp) {
  avs_trainer *t = tp ? *tp : NULL;
  if (!t) return;
  avs_optim_free(&t->opt);
  cJSON_Delete(t->history);
  free(t->params);
  free(t);
  *tp = NULL;
}

int avs_trainer_epochs_done(const avs_trainer *t) { return t->epoch; }
int avs_trainer_epochs_left(const avs_trainer *t) { return t->cfg.epochs > t->epoch ? t->cfg.epochs - t->epoch : 0; }
double avs_trainer_best(const avs_trainer *t) { return t->best; }

static float lr_at(const avs_trainer_cfg *c, int64_t step, int64_t total) {
  if (!strcmp(c->schedule, "constant")) return c->lr;
  return (float)(c->lr * 0.5 * (1.0 + cos(M_PI * (double)step / (double)total)));
}

/* The epoch's visiting order: a permutation drawn from the seed and the epoch alone. */
static void shuffle(int *order, int n, int seed, int epoch) {
  avs_rng rng;
  avs_rng_seed(&rng, (uint64_t)seed * 0x9E3779B97F4A7C15ull + (uint64_t)epoch + 1);
  for (int i = 0; i < n; i++) order[i] = i;
  for (int i = n - 1; i > 0; i--) {
    int j = (int)avs_rng_below(&rng, (uint32_t)i + 1), k = order[i];
    order[i] = order[j], order[j] = k;
  }
}

/* One pass over the training items; *loss the mean over items. */
static int train_epoch(avs_trainer *t, const avs_trainer_task *task, int epoch, double *mean_loss) {
  const avs_trainer_cfg *c = &t->cfg;
  int n = task->n_train, rc = AVS_OK;
  int64_t steps_per_epoch = (n + c->batch - 1) / c->batch, step = (int64_t)epoch * steps_per_epoch;
  int *order = malloc(sizeof *order * (size_t)n);
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = true, .seed = (uint64_t)c->seed * 1000003 + (uint64_t)epoch});
  if (!order || !ctx) {
    rc = order ? avs_errcode() : avs_seterr(AVS_ENOMEM, "out of memory");
    goto done;
  }
  shuffle(order, n, c->seed, epoch);
  double sum = 0;
  for (int start = 0; start < n; start += c->batch, step++) {
    int nb = n - start < c->batch ? n - start : c->batch;
    avs_ctx_reset(ctx);
    avs_optim_set_lr(t->opt, lr_at(c, step, steps_per_epoch * c->epochs));
    avs_optim_zero_grad(t->opt);
    avs_tensor *loss = task->loss(task->user, ctx, t->m, order + start, nb);
    if (!loss || (rc = avs_backward(ctx, loss))) {
      rc = rc ? rc : avs_errcode();
      goto done;
    }
    if (!isfinite(loss->data[0])) {
      rc = avs_seterr(AVS_EINVAL, "the loss is %g at epoch %d, item %d: lower --lr or set --clip", loss->data[0],
                      epoch + 1, start);
      goto done;
    }
    if (c->clip_norm > 0) avs_clip_grad_norm(t->params, t->n_params, c->clip_norm);
    avs_optim_step(t->opt);
    sum += loss->data[0] * nb;
    if (task->progress) task->progress(task->progress_user, epoch, start + nb, n);
  }
  *mean_loss = sum / n;
done:
  avs_ctx_free(&ctx);
  free(order);
  return rc;
}

static double seconds_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The process's resident memory now (Linux; 0 elsewhere). */
static double resident_bytes(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  long pages = 0, resident = 0;
  if (f && fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
  if (f) fclose(f);
  return (double)resident * (double)sysconf(_SC_PAGESIZE);
}

/* A copy of every tensor of the model (parameters and buffers) to put back: a train-mode forward moves
 * batch norm's running statistics. */
static float *params_copy(const avs_params *p) {
  float *copy = malloc(sizeof(float) * (size_t)(avs_params_numel(p) + 1)), *o = copy;
  for (int i = 0; copy && i < p->n; o += p->t[i]->numel, i++)
    memcpy(o, p->t[i]->data, sizeof(float) * (size_t)p->t[i]->numel);
  return copy;
}

static void params_restore(avs_params *p, const float *copy) {
  for (int i = 0; i < p->n; copy += p->t[i]->numel, i++)
    memcpy(p->t[i]->data, copy, sizeof(float) * (size_t)p->t[i]->numel);
}

/* One training pass on items idx[0..n) without the update: *fwd and *bwd its forward and backward time. */
static int timed_pass(avs_trainer *t, const avs_trainer_task *task, avs_ctx *ctx, const int *idx, int n, double *fwd,
                      double *bwd) {
  avs_ctx_reset(ctx);
  avs_optim_zero_grad(t->opt);
  double t0 = seconds_now();
  avs_tensor *loss = task->loss(task->user, ctx, t->m, idx, n);
  double t1 = seconds_now();
  int rc = loss ? avs_backward(ctx, loss) : avs_errcode();
  *fwd = t1 - t0, *bwd = seconds_now() - t1;
  return rc;
}

int avs_trainer_estimate_cost(avs_trainer *t, const avs_trainer_task *task, avs_trainer_estimate *e) {
  *e = (avs_trainer_estimate){0};
  const avs_trainer_cfg *c = &t->cfg;
  int n = task->n_train < 2 ? task->n_train : 2, idx[2];
  if (n > c->batch) n = c->batch;
  if (n < 1) return avs_seterr(AVS_EINVAL, "no training items");
  double before = resident_bytes();
  /* a training pass as the steps make, the model put back afterwards (batch norm's statistics move) */
  float *saved = params_copy(&t->m->params);
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = true});
  if (!ctx || !saved) {
    free(saved), avs_ctx_free(&ctx);
    return avs_seterr(AVS_ENOMEM, "out of memory");
  }
  /* The first pass pays one-time costs (kernels set up for these shapes, the arena), which can be several
   * times a step (avspeech: 4 s for a 0.8 s step): it is not counted. More passes of the same shape over
   * the next items are timed, at least one and up to three or a second's worth, and the fastest counts
   * (one-time costs left and a busy machine only slow a pass down). */
  double fwd = 0, bwd = 0, elapsed = 0;
  int rc = timed_pass(t, task, ctx, (int[]){0, 1 % task->n_train}, n, &fwd, &bwd);
  for (int pass = 1; !rc && pass <= 3 && (pass == 1 || elapsed < 1.0); pass++) {
    double f, b;
    for (int i = 0; i < n; i++) idx[i] = (pass * n + i) % task->n_train;
    rc = timed_pass(t, task, ctx, idx, n, &f, &b);
    if (pass == 1 || f + b < fwd + bwd) fwd = f, bwd = b;
    elapsed += f + b;
  }
  double act = (double)avs_ctx_arena_peak(ctx) / n;
  avs_ctx_free(&ctx);
  avs_optim_zero_grad(t->opt);
  params_restore(&t->m->params, saved);
  free(saved);
  if (rc) return rc;
  int n_val = task->has_validation ? task->n_val : 0, copies = strcmp(c->optimizer, "sgd") ? 3 : 2;
  fwd /= n, bwd /= n;
  e->forward_seconds = fwd;
  e->epoch_seconds = (fwd + bwd) * task->n_train + fwd * n_val;
  e->run_seconds = e->epoch_seconds * avs_trainer_epochs_left(t);
  /* what the process held before (weights, the data the task keeps in memory), a batch's activations and
   * their gradients (the arena's peak), the parameters' gradients and the optimizer's moments */
  int batch = c->batch < task->n_train ? c->batch : task->n_train;
  e->bytes = before + act * batch + (double)copies * 4.0 * (double)avs_params_numel(&t->m->params);
  return AVS_OK;
}

int avs_trainer_run(avs_trainer *t, const avs_trainer_task *task) {
  if (task->n_train < 1) return avs_seterr(AVS_EINVAL, "no training items");
  int rc = AVS_OK;
  for (int epoch = t->epoch; epoch < t->cfg.epochs; epoch++) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (task->epoch_begin) task->epoch_begin(task->user, epoch);
    double loss = 0;
    if ((rc = train_epoch(t, task, epoch, &loss))) return rc;
    cJSON *rec = cJSON_CreateObject();
    if (!rec) return avs_seterr(AVS_ENOMEM, "out of memory");
    cJSON_AddItemToArray(t->history, rec);
    cJSON_AddNumberToObject(rec, "epoch", epoch + 1);
    cJSON_AddNumberToObject(rec, "lr", avs_optim_lr(t->opt));
    cJSON_AddNumberToObject(rec, "train_loss", loss);
    if (task->train_record) task->train_record(task->user, rec);
    double score = 0;
    if (task->has_validation && (rc = task->validate(task->user, t->m, &score, rec))) return rc;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    cJSON_AddNumberToObject(rec, "seconds", (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec));
    bool better = task->has_validation ? score > t->best : true;
    if (task->has_validation && better) t->best = score;
    t->epoch = epoch + 1;
    if (task->epoch_end) task->epoch_end(task->user, rec);
    char done[16];
    snprintf(done, sizeof done, "%d", t->epoch);
    if ((rc = avs_params_set_meta(&t->m->params, "train.epoch", done))) return rc;
    if (better && (rc = avs_model_save(t->m, t->cfg.out))) return rc;
    if ((rc = save_checkpoint(t))) return rc;
  }
  return AVS_OK;
}
