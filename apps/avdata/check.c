/* avdata check: reads a data set's manifests and verifies every clip: the
 * files exist, the stems add up exactly to the mixture, every box lies inside
 * the frame and every sounding object is visible in every frame. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apps/avdata/avdata.h"
#include "apps/common/cli.h"
#include "apps/common/output.h"
#include "audio/audio_file.h"
#include "av/status.h"

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

static avs_audio *load(const char *dir, const char *rel, const char *id) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, rel);
  avs_audio *a = NULL;
  if (avs_audio_read(path, &a)) {
    problem(id, "%s", avs_errmsg());
    return NULL;
  }
  return a;
}

static void check_clip(const char *dir, cJSON *j, int64_t *n_clips) {
  cJSON *jid = cJSON_GetObjectItem(j, "id");
  const char *id = cJSON_IsString(jid) ? jid->valuestring : "?";
  int W = cJSON_GetObjectItem(j, "width") ? cJSON_GetObjectItem(j, "width")->valueint : 0;
  int H = cJSON_GetObjectItem(j, "height") ? cJSON_GetObjectItem(j, "height")->valueint : 0;
  int F = cJSON_GetObjectItem(j, "frames") ? cJSON_GetObjectItem(j, "frames")->valueint : 0;
  cJSON *video = cJSON_GetObjectItem(j, "video"), *audio = cJSON_GetObjectItem(j, "audio");
  cJSON *objs = cJSON_GetObjectItem(j, "objects");
  (*n_clips)++;
  if (!W || !H || !F || !cJSON_IsString(video) || !cJSON_IsArray(objs)) {
    problem(id, "%s", "manifest line lacks width/height/frames/video/objects");
    return;
  }
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, video->valuestring);
  if (!app_file_exists(path)) problem(id, "missing %s", path);
  avs_audio *mix = audio && cJSON_IsString(audio) ? load(dir, audio->valuestring, id) : NULL;
  float *sum = mix ? calloc((size_t)mix->frames, sizeof(float)) : NULL;
  int n_stems = 0;
  cJSON *o;
  cJSON_ArrayForEach(o, objs) {
    cJSON *boxes = cJSON_GetObjectItem(o, "boxes"), *stem = cJSON_GetObjectItem(o, "stem");
    cJSON *snd = cJSON_GetObjectItem(o, "sounding");
    bool sounding = !snd || cJSON_IsTrue(snd);
    if (!cJSON_IsArray(boxes) || cJSON_GetArraySize(boxes) != F) {
      problem(id, "%s", "an object lacks one box per frame");
      continue;
    }
    cJSON *b;
    int f = 0;
    cJSON_ArrayForEach(b, boxes) {
      double v[4];
      for (int k = 0; k < 4; k++) v[k] = cJSON_GetArrayItem(b, k) ? cJSON_GetArrayItem(b, k)->valuedouble : -1;
      char msg[128];
      snprintf(msg, sizeof msg, "frame %d box [%g %g %g %g]", f, v[0], v[1], v[2], v[3]);
      if (v[0] < 0 || v[1] < 0 || v[2] > W || v[3] > H || v[0] > v[2] || v[1] > v[3])
        problem(id, "%s outside the frame or inverted", msg);
      else if (sounding && (v[2] - v[0] < 2 || v[3] - v[1] < 2))
        problem(id, "%s: a sounding object is not visible", msg);
      f++;
    }
    if (cJSON_IsString(stem) && mix) {
      avs_audio *s = load(dir, stem->valuestring, id);
      if (s && s->frames != mix->frames) problem(id, "%s has another length than the mixture", stem->valuestring);
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
    FILE *f = fopen(path, "r");
    if (!f) app_fail("cannot read %s", path);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int lineno = 0;
    while ((len = getline(&line, &cap, f)) > 0) {
      lineno++;
      cJSON *j = cJSON_Parse(line);
      if (!j) {
        char where[64];
        snprintf(where, sizeof where, "%s line %d", splits[s], lineno);
        problem(where, "%s", "not valid JSON");
        continue;
      }
      check_clip(dir, j, &n_clips);
      cJSON_Delete(j);
    }
    free(line);
    fclose(f);
  }
  printf("%lld clips checked, %d problem%s\n", (long long)n_clips, problems, problems == 1 ? "" : "s");
  return problems ? 1 : 0;
}
