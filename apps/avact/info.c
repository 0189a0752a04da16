/* avact info: the registered architectures, or one model's per-layer table
 * (output size, parameters, multiply-adds) from a traced forward pass. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "apps/avact/avact.h"
#include "apps/common/cli.h"
#include "apps/common/output.h"
#include "av/ctx.h"
#include "av/status.h"
#include "video/models/profile.h"

static const char *usage =
    "Usage: avact info [options]\n"
    "Without --model: lists the action-recognition architectures. With --model: the\n"
    "model's input, hyperparameters and per-layer table: output size (C x T x H x W;\n"
    "per-frame layers as C x H x W x frames), learnable parameters and millions of\n"
    "multiply-adds (convolutions, linear layers and LSTM gates) for one clip.\n"
    "--profile adds each layer's time (best of --runs passes after a warm-up) and\n"
    "its effective GFLOP/s (2 x multiply-adds / time), at --precision; a row's time\n"
    "includes the untraced ops just before it (activations, residual additions).";

/* "C x T x H x W" from a channels-last row shape (batch first). */
static void format_shape(const avs_layer_row *r, char *buf, size_t size) {
  const int64_t *s = r->shape;
  switch (r->ndim) {
  case 5: snprintf(buf, size, "%" PRId64 "x%" PRId64 "x%" PRId64 "x%" PRId64, s[4], s[1], s[2], s[3]); break;
  case 4:
    snprintf(buf, size, "%" PRId64 "x%" PRId64 "x%" PRId64 "%s", s[3], s[1], s[2], "");
    if (s[0] > 1) snprintf(buf + strlen(buf), size - strlen(buf), " x%" PRId64, s[0]);
    break;
  case 3: snprintf(buf, size, "%" PRId64 "x%" PRId64, s[2], s[1]); break;
  default: snprintf(buf, size, "%" PRId64, s[r->ndim - 1]); break;
  }
}

static void list_archs(bool json) {
  cJSON *arr = json ? cJSON_CreateArray() : NULL;
  for (int i = 0; i < avs_action_arch_count(); i++) {
    const avs_action_arch *a = avs_action_arch_at(i);
    const avs_action_base *b = a->cfg_default;
    if (json) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "arch", a->name);
      cJSON_AddStringToObject(o, "title", a->title);
      cJSON_AddItemToArray(arr, o);
    } else {
      printf("%-14s %dx%dx%dx%d  %s\n", a->name, avs_action_task_of(a)->channels, b->frames, b->height, b->width, a->title);
    }
  }
  if (json) {
    char *s = cJSON_Print(arr);
    printf("%s\n", s);
    free(s);
    cJSON_Delete(arr);
  }
}

static void print_hparams(const avs_action_model *m) {
  const avs_action_arch *a = m->arch;
  char v[64];
  printf("hyperparameters:");
  for (int i = 0; i < a->n_hparams; i++) {
    avs_cfg_get(a, m->cfg, a->hparams[i].key, v, sizeof v);
    printf(" %s=%s", a->hparams[i].key, v);
  }
  printf("\n");
}

static double gflops(int64_t macs, double ms) { return ms > 0 ? 2.0 * (double)macs / ms * 1e-6 : 0; }

/* The time columns of a row (profiled tables only), and the line's end. */
static void print_time(const avs_action_profile *p, double ms, int64_t macs) {
  if (p->timed) {
    printf(" %9.2f", ms);
    macs ? printf(" %8.0f", gflops(macs, ms)) : printf(" %8s", "");
  }
  printf("\n");
}

static void print_table(const avs_action_model *m, const avs_action_profile *p) {
  const avs_action_base *b = avs_action_model_base(m);
  printf("%s: %s\ninput %dx%dx%dx%d (C x T x H x W), normalisation %s, %d classes\n", m->arch->name, m->arch->title,
         avs_action_channels(m), b->frames, b->height, b->width, avs_action_model_norm(m), b->classes);
  print_hparams(m);
  printf("\n%-30s %-9s %-22s %12s %12s", "layer", "kind", "output", "params", "M mult-adds");
  if (p->timed) printf(" %9s %8s", "ms", "GFLOP/s");
  printf("\n");
  char shape[64];
  for (int i = 0; i < p->trace.n; i++) {
    const avs_layer_row *r = &p->trace.rows[i];
    format_shape(r, shape, sizeof shape);
    printf("%-30s %-9s %-22s %12" PRId64 " %12.1f", r->name, r->kind, shape, r->params, r->macs / 1e6);
    print_time(p, r->ms, r->macs);
  }
  printf("%-30s %-9s %-22s %12" PRId64 " %12.1f", "total", "", "", p->traced_params, p->macs / 1e6);
  print_time(p, p->ms, p->macs);
  printf("%-30s %-9s %-22s %12s %12.1f", "convolutions", "", "", "", p->conv_macs / 1e6);
  print_time(p, p->conv_ms, p->conv_macs);
  printf("\n%.2f M parameters, %.2f G multiply-adds per clip (%.2f G in convolutions)\n", p->params / 1e6,
         p->macs / 1e9, p->conv_macs / 1e9);
  if (p->timed)
    printf("%.1f ms per clip in %s (best of each layer), convolutions %.1f ms at %.0f GFLOP/s\n", p->ms,
           avs_precision_name(avs_precision_default()), p->conv_ms, gflops(p->conv_macs, p->conv_ms));
}

static void print_json(const avs_action_model *m, const avs_action_profile *p) {
  const avs_action_base *b = avs_action_model_base(m);
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "arch", m->arch->name);
  cJSON_AddStringToObject(o, "title", m->arch->title);
  cJSON_AddStringToObject(o, "norm", avs_action_model_norm(m));
  cJSON_AddItemToObject(o, "input", cJSON_CreateIntArray((const int[]){avs_action_channels(m), b->frames, b->height, b->width}, 4));
  cJSON *hp = cJSON_AddObjectToObject(o, "hyperparameters");
  char v[64];
  for (int i = 0; i < m->arch->n_hparams; i++) {
    avs_cfg_get(m->arch, m->cfg, m->arch->hparams[i].key, v, sizeof v);
    cJSON_AddStringToObject(hp, m->arch->hparams[i].key, v);
  }
  cJSON *layers = cJSON_AddArrayToObject(o, "layers");
  for (int i = 0; i < p->trace.n; i++) {
    const avs_layer_row *r = &p->trace.rows[i];
    cJSON *l = cJSON_CreateObject();
    cJSON_AddStringToObject(l, "name", r->name);
    cJSON_AddStringToObject(l, "kind", r->kind);
    cJSON *shape = cJSON_AddArrayToObject(l, "shape"); /* channels-last, batch first */
    for (int d = 0; d < r->ndim; d++) cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)r->shape[d]));
    cJSON_AddNumberToObject(l, "params", (double)r->params);
    cJSON_AddNumberToObject(l, "macs", (double)r->macs);
    if (p->timed) cJSON_AddNumberToObject(l, "ms", r->ms);
    cJSON_AddItemToArray(layers, l);
  }
  cJSON_AddNumberToObject(o, "params", (double)p->params);
  cJSON_AddNumberToObject(o, "macs", (double)p->macs);
  cJSON_AddNumberToObject(o, "conv_macs", (double)p->conv_macs);
  if (p->timed) {
    cJSON_AddStringToObject(o, "precision", avs_precision_name(avs_precision_default()));
    cJSON_AddNumberToObject(o, "ms", p->ms);
    cJSON_AddNumberToObject(o, "conv_ms", p->conv_ms);
  }
  char *s = cJSON_Print(o);
  printf("%s\n", s);
  free(s);
  cJSON_Delete(o);
}

int avact_info(int argc, char **argv) {
  const char *model = NULL, *hparams = NULL;
  bool json = false, timed = false;
  int runs = 5;
  const app_opt opts[] = {
      {"model", 'm', APP_STRING, &model, "model file, or an architecture name (default weights: zeros)", 0, 0},
      {"hparams", 0, APP_STRING, &hparams, "with an architecture name: hyperparameters KEY=VALUE,...", 0, 0},
      {"json", 0, APP_FLAG, &json, "print the result as JSON on stdout", 0, 0},
      {"profile", 0, APP_FLAG, &timed, "time each layer (needs --model)", 0, 0},
      {"runs", 0, APP_INT, &runs, "--profile: timed passes, each layer's best is shown", 1, 1000},
      APP_PRECISION_OPT,
      {0},
  };
  app_parse(argc, argv, 1, opts, usage, NULL, 0, 0);
  if (!model && timed) app_usage_error("--profile needs --model (a model file or an architecture name)");
  if (!model) {
    list_archs(json);
    return 0;
  }
  if (hparams && app_file_exists(model)) app_usage_error("--hparams applies to an architecture name, not a model file");
  avs_action_model *m = avact_model_open(model, true, hparams);
  avs_action_profile p;
  if ((timed ? avs_action_profile_time(m, runs, &p) : avs_action_profile_run(m, &p))) app_fail_status(avs_errcode());
  if (p.traced_params != p.params)
    app_warn("the layer table covers %" PRId64 " of the model's %" PRId64 " parameters", p.traced_params, p.params);
  json ? print_json(m, &p) : print_table(m, &p);
  avs_action_profile_free(&p);
  avs_model_free(&m);
  return 0;
}
