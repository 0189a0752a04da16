/* avdata check: reads a data set's manifests (data/manifest.h) and verifies
 * every clip: the files exist, the stems add up exactly to the mixture, every
 * box lies inside the frame and every sounding object is visible in every
 * frame. */
#include <stdio.h>
#include <stdlib.h>

#include "apps/avdata/avdata.h"
#include "apps/common/cli.h"
#include "apps/common/output.h"
#include "apps/common/verbose.h"
#include "audio/audio_file.h"
#include "av/status.h"
#include "data/manifest.h"

static const char *usage =
    "Usage: avdata check DIR\n"
    "Verifies the data set in DIR (made by avdata synth): manifests parse, files exist,\n"
    "stems sum to the mixture sample for sample, boxes lie inside the frames.\n"
    "Prints one line per problem and a summary; exits 1 when anything is wrong.";

static const app_opt opts[] = {{0}};

static int problems;

static void problem(const char *id, const char *fmt, const char *detail) {
  if (problems++ < 50) {
    fprintf(stdout, "%s: ", id);
    fprintf(stdout, fmt, detail);
    fputc('\n', stdout);
  }
}

static avs_audio *load(const char *path, const char *id) {
  avs_audio *a = NULL;
  if (avs_audio_read(path, &a)) {
    problem(id, "%s", avs_errmsg());
    return NULL;
  }
  return a;
}

static void check_clip(const avs_manifest_clip *c) {
  const char *id = c->id;
  if (!c->width || !c->height || !c->frames) {
    problem(id, "%s", "manifest line lacks width/height/frames");
    return;
  }
  if (!app_file_exists(c->video)) problem(id, "missing %s", c->video);
  avs_audio *mix = c->audio ? load(c->audio, id) : NULL;
  float *sum = mix ? calloc((size_t)mix->frames, sizeof(float)) : NULL;
  if (mix && !sum) app_fail("out of memory");
  int n_stems = 0;
  for (int k = 0; k < c->n_objects; k++) {
    const avs_manifest_object *o = &c->objects[k];
    if (o->n_boxes != c->frames) {
      problem(id, "%s", "an object lacks one box per frame");
      continue;
    }
    for (int f = 0; f < o->n_boxes; f++) {
      const int *v = o->boxes[f];
      char msg[128];
      snprintf(msg, sizeof msg, "frame %d box [%d %d %d %d]", f, v[0], v[1], v[2], v[3]);
      if (v[0] < 0 || v[1] < 0 || v[2] > c->width || v[3] > c->height || v[0] > v[2] || v[1] > v[3])
        problem(id, "%s outside the frame or inverted", msg);
      else if (o->sounding && (v[2] - v[0] < 2 || v[3] - v[1] < 2))
        problem(id, "%s: a sounding object is not visible", msg);
    }
    if (o->stem && mix) {
      avs_audio *s = load(o->stem, id);
      if (s && s->frames != mix->frames) problem(id, "%s has another length than the mixture", o->stem);
      else if (s)
        for (int64_t i = 0; i < s->frames; i++) sum[i] += s->data[i];
      avs_audio_free(&s);
      n_stems++;
    }
  }
  if (mix && n_stems) {
    int64_t bad = 0;
    for (int64_t i = 0; i < mix->frames; i++) bad += sum[i] != mix->data[i];
    char msg[96];
    snprintf(msg, sizeof msg, "%lld of %lld samples", (long long)bad, (long long)mix->frames);
    if (bad) problem(id, "stems do not add up to the mixture at %s", msg);
  }
  free(sum);
  avs_audio_free(&mix);
}

int avdata_check(int argc, char **argv) {
  const char *pos[1];
  app_parse(argc, argv, 2, opts, usage, pos, 1, 1);
  const char *dir = pos[0];
  char path[4096];
  snprintf(path, sizeof path, "%s/meta.json", dir);
  if (!app_file_exists(path)) app_fail("no data set in %s (meta.json is missing)", dir);
  static const char *splits[] = {"train", "val", "test"};
  int64_t n_clips = 0;
  for (int s = 0; s < 3; s++) {
    snprintf(path, sizeof path, "%s/%s.jsonl", dir, splits[s]);
    avs_manifest *m = NULL;
    if (avs_manifest_load_flags(path, AVS_MANIFEST_EMPTY_OK, &m)) {
      problem(splits[s], "%s", avs_errmsg());
      continue;
    }
    app_verbose_line("opened %s: %d clip%s", path, m->n, m->n == 1 ? "" : "s");
    for (int i = 0; i < m->n; i++) check_clip(&m->clips[i]);
    n_clips += m->n;
    avs_manifest_free(&m);
  }
  printf("%lld clips checked, %d problem%s\n", (long long)n_clips, problems, problems == 1 ? "" : "s");
  return problems ? 1 : 0;
}
