/* avdata check: reads a data set's manifests (data/manifest.h) and verifies
 * every clip: the files exist, the stems add up exactly to the mixture, every
 * box lies inside the frame and every sounding object is visible in every
 * frame; and that every file under clips/ belongs to a clip of the manifests
 * (left-overs of another set or of an interrupted run are named). */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
    "stems sum to the mixture sample for sample, boxes lie inside the frames, every\n"
    "file under DIR/clips belongs to a clip of the manifests.\n"
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

/* The files the manifests name, as real paths (sorted for lookups). */
typedef struct {
  char **paths;
  size_t n, cap;
} file_set;

static void add_file(file_set *fs, const char *path) {
  char real[PATH_MAX];
  if (!path || !realpath(path, real)) return; /* a missing file is its clip's problem */
  if (fs->n == fs->cap) {
    fs->cap = fs->cap ? 2 * fs->cap : 256;
    fs->paths = realloc(fs->paths, fs->cap * sizeof *fs->paths);
    if (!fs->paths) app_fail("out of memory");
  }
  if (!(fs->paths[fs->n++] = strdup(real))) app_fail("out of memory");
}

static void add_clip_files(file_set *fs, const avs_manifest *m) {
  for (int i = 0; i < m->n; i++) {
    add_file(fs, m->clips[i].video);
    add_file(fs, m->clips[i].audio);
    for (int k = 0; k < m->clips[i].n_objects; k++) add_file(fs, m->clips[i].objects[k].stem);
  }
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static bool in_set(const file_set *fs, const char *path) {
  char real[PATH_MAX];
  const char *key = real;
  return realpath(path, real) && bsearch(&key, fs->paths, fs->n, sizeof *fs->paths, cmp_str);
}

/* Every regular file in dir/clips and its sub-folders that no manifest names. */
static void check_unreferenced(const char *dir, file_set *fs) {
  qsort(fs->paths, fs->n, sizeof *fs->paths, cmp_str);
  char clips[4096];
  snprintf(clips, sizeof clips, "%s/clips", dir);
  DIR *d = opendir(clips);
  struct dirent *e;
  while (d && (e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    char sub[4096 + 256];
    snprintf(sub, sizeof sub, "%s/%s", clips, e->d_name);
    DIR *c = opendir(sub);
    struct dirent *f;
    if (!c && !in_set(fs, sub)) problem(sub, "%s", "not in any manifest");
    while (c && (f = readdir(c))) {
      char path[4096 + 512];
      struct stat sb;
      snprintf(path, sizeof path, "%s/%s", sub, f->d_name);
      if (!lstat(path, &sb) && S_ISREG(sb.st_mode) && !in_set(fs, path)) problem(path, "%s", "not in any manifest");
    }
    if (c) closedir(c);
  }
  if (d) closedir(d);
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
  file_set named = {0};
  bool all_read = true;
  for (int s = 0; s < 3; s++) {
    snprintf(path, sizeof path, "%s/%s.jsonl", dir, splits[s]);
    avs_manifest *m = NULL;
    if (avs_manifest_load_flags(path, AVS_MANIFEST_EMPTY_OK, &m)) {
      problem(splits[s], "%s", avs_errmsg());
      all_read = false;
      continue;
    }
    app_verbose_line("opened %s: %d clip%s", path, m->n, m->n == 1 ? "" : "s");
    for (int i = 0; i < m->n; i++) check_clip(&m->clips[i]);
    add_clip_files(&named, m);
    n_clips += m->n;
    avs_manifest_free(&m);
  }
  if (all_read) check_unreferenced(dir, &named); /* else every clip of the unread manifest would be named */
  for (size_t i = 0; i < named.n; i++) free(named.paths[i]);
  free(named.paths);
  printf("%lld clips checked, %d problem%s\n", (long long)n_clips, problems, problems == 1 ? "" : "s");
  return problems ? 1 : 0;
}
