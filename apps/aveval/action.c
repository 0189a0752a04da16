/* aveval action: scores an action-recognition model on an avdata manifest of
 * labelled clips: top-1 and top-5 accuracy, mean cross-entropy, per-class
 * recall and the confusion matrix (rows: true class, columns: predicted).
 * Each clip is read as the model sees it (video/models/action_input.h), one
 * clip per video, centred when the video is longer than the model's clip. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "apps/aveval/aveval.h"
#include "apps/common/cli.h"
#include "apps/common/manifest.h"
#include "apps/common/output.h"
#include "apps/common/progress.h"
#include "apps/common/verbose.h"
#include "av/avs.h"
#include "av/datadir.h"
#include "video/models/action_eval.h"

static const char *usage =
    "Usage: aveval action -m MODEL [options] MANIFEST\n"
    "Scores an action-recognition model (an avact/avtrain model file) on the labelled\n"
    "clips of an avdata manifest (e.g. data/actions/test.jsonl; class names from the\n"
    "meta.json beside it): top-1, top-5, mean cross-entropy, per-class recall and the\n"
    "confusion matrix (rows: true class, columns: predicted class). Each clip is read as\n"
    "avact classify reads it: at the rate the model was trained at (its 'fps' metadata;\n"
    "the video's own when it records none), centred in the video.";

static void on_batch(void *user, int done) { app_progress_update(user, done); }

/* The model's class names (metadata "labels") must be the manifest's when present. */
static void check_classes(const avs_action_model *m, const avs_manifest *mf, const char *model_path) {
  int classes = avs_action_model_base(m)->classes;
  if (classes != mf->n_classes)
    app_fail("the model has %d classes but %s has %d (%s)", classes, mf->path, mf->n_classes, model_path);
  const char *labels = avs_params_get_meta(&m->params, "labels");
  if (!labels) return;
  const char *p = labels;
  for (int i = 0; i < classes; i++) {
    size_t n = strcspn(p, "\n");
    if (strlen(mf->classes[i]) != n || strncmp(p, mf->classes[i], n))
      app_fail("class %d is '%.*s' in the model but '%s' in the data set (%s)", i, (int)n, p, mf->classes[i],
               model_path);
    p += n + (p[n] == '\n');
  }
}

static void print_report(const avs_action_score *s, const avs_manifest *mf, const char *model_path) {
  printf("%s on %s: %lld clips\n", model_path, mf->path, (long long)s->n);
  printf("top-1 %.4f  top-5 %.4f  loss %.4f\n\n", avs_action_score_top1(s), avs_action_score_top5(s),
         avs_action_score_loss(s));
  int c = s->classes, width = 6;
  for (int i = 0; i < c; i++)
    if ((int)strlen(mf->classes[i]) > width) width = (int)strlen(mf->classes[i]);
  printf("%-*s  recall  confusion (columns: predicted class 0..%d)\n", width, "class", c - 1);
  for (int i = 0; i < c; i++) {
    double r = avs_action_score_recall(s, i); /* NaN: no clip of the class (JSON: null) */
    if (r == r)
      printf("%-*s  %6.3f ", width, mf->classes[i], r);
    else
      printf("%-*s  %6s ", width, mf->classes[i], "-");
    for (int k = 0; k < c; k++) printf(" %4lld", (long long)s->confusion[(int64_t)i * c + k]);
    printf("\n");
  }
}

static cJSON *json_report(const avs_action_score *s, const avs_manifest *mf, const char *model_path) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "model", model_path);
  cJSON_AddStringToObject(o, "manifest", mf->path);
  cJSON_AddNumberToObject(o, "clips", (double)s->n);
  cJSON_AddNumberToObject(o, "top1", avs_action_score_top1(s));
  cJSON_AddNumberToObject(o, "top5", avs_action_score_top5(s));
  cJSON_AddNumberToObject(o, "loss", avs_action_score_loss(s));
  cJSON *classes = cJSON_AddArrayToObject(o, "classes"), *recall = cJSON_AddArrayToObject(o, "recall");
  cJSON *conf = cJSON_AddArrayToObject(o, "confusion");
  for (int i = 0; i < s->classes; i++) {
    cJSON_AddItemToArray(classes, cJSON_CreateString(mf->classes[i]));
    double r = avs_action_score_recall(s, i);
    cJSON_AddItemToArray(recall, r == r ? cJSON_CreateNumber(r) : cJSON_CreateNull());
    cJSON *row = cJSON_CreateArray();
    for (int k = 0; k < s->classes; k++)
      cJSON_AddItemToArray(row, cJSON_CreateNumber((double)s->confusion[(int64_t)i * s->classes + k]));
    cJSON_AddItemToArray(conf, row);
  }
  return o;
}

/* One line per clip: id, true and predicted class, the logits. Atomic. */
static void write_predictions(const char *path, const avs_manifest *mf, const float *logits, int classes) {
  char *tmp = app_tmp_path(path);
  app_cleanup_on_exit(tmp);
  FILE *f = fopen(tmp, "w");
  if (!f) app_fail("cannot write %s", path);
  for (int i = 0; i < mf->n; i++) {
    const float *l = logits + (int64_t)i * classes;
    int pred = 0;
    for (int k = 1; k < classes; k++)
      if (l[k] > l[pred]) pred = k;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", mf->clips[i].id);
    cJSON_AddNumberToObject(o, "class", mf->clips[i].cls);
    cJSON_AddNumberToObject(o, "predicted", pred);
    cJSON_AddStringToObject(o, "label", mf->classes[pred]);
    cJSON *arr = cJSON_AddArrayToObject(o, "logits");
    for (int k = 0; k < classes; k++) cJSON_AddItemToArray(arr, cJSON_CreateNumber(l[k]));
    char *line = cJSON_PrintUnformatted(o);
    fprintf(f, "%s\n", line);
    free(line);
    cJSON_Delete(o);
  }
  if (fclose(f)) app_fail("cannot write %s", path);
  app_cleanup_forget(tmp);
  app_commit(tmp, path);
  free(tmp);
}

int aveval_action(int argc, char **argv) {
  const char *model_path = NULL, *pred_path = NULL, *pos[1];
  int batch = 8;
  bool json = false;
  const app_opt opts[] = {
      {"model", 'm', APP_STRING, &model_path, "the model file (default: the shipped data/models/action.safetensors)", 0, 0},
      {"batch", 'b', APP_INT, &batch, "clips per forward pass", 1, 4096},
      {"predictions", 'p', APP_STRING, &pred_path, "also write each clip's prediction and logits here (JSON lines)", 0, 0},
      {"json", 0, APP_FLAG, &json, "print the result as JSON on stdout", 0, 0},
      APP_PRECISION_OPT,
      {0},
  };
  app_parse(argc, argv, 2, opts, usage, pos, 1, 1);
  char *shipped = NULL; /* as avact classify: the shipped model unless -m says otherwise */
  if (!model_path && avs_data_path("models/action.safetensors", &shipped))
    app_fail("no model given (-m FILE) and %s", avs_errmsg());
  if (!model_path) model_path = shipped;
  if (!app_file_exists(model_path)) app_fail("model file not found (%s)", model_path);
  avs_manifest *mf = app_manifest_labelled(pos[0]);
  avs_action_model *m = NULL;
  if (avs_action_model_load(model_path, &m)) app_fail_status(avs_errcode());
  app_verbose_model(m, model_path);
  check_classes(m, mf, model_path);

  const char **videos = malloc(sizeof *videos * mf->n);
  int *truth = malloc(sizeof *truth * mf->n);
  int classes = mf->n_classes;
  float *logits = pred_path ? malloc(sizeof(float) * mf->n * classes) : NULL;
  avs_ctx *ctx = avs_ctx_new(&(avs_ctx_params){.train = false});
  avs_action_score s;
  if (!videos || !truth || (pred_path && !logits) || !ctx || avs_action_score_init(&s, classes))
    app_fail("out of memory");
  for (int i = 0; i < mf->n; i++) videos[i] = mf->clips[i].video, truth[i] = mf->clips[i].cls;
  app_progress pr;
  app_progress_start(&pr, "clips", mf->n);
  avs_action_eval_job job = {.videos = videos, .classes = truth, .n = mf->n, .batch = batch,
                             .progress = on_batch, .user = &pr, .logits = logits};
  if (avs_action_evaluate(ctx, m, &job, &s)) app_fail_status(avs_errcode());
  app_progress_end(&pr);
  if (pred_path) write_predictions(pred_path, mf, logits, classes);
  if (json) {
    cJSON *o = json_report(&s, mf, model_path);
    char *text = cJSON_Print(o);
    printf("%s\n", text);
    free(text);
    cJSON_Delete(o);
  } else {
    print_report(&s, mf, model_path);
  }
  avs_action_score_free(&s);
  avs_ctx_free(&ctx);
  free(videos), free(truth), free(logits), free(shipped);
  avs_model_free(&m);
  avs_manifest_free(&mf);
  return 0;
}
