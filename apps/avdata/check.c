/* avdata check: reads a data set's manifests (data/manifest.h) and verifies
 * every clip: the files exist, the video opens and decodes at its first and
 * last frame (text or a truncated file), the audio has the manifest's rate,
 * the stems add up exactly to the mixture, every box lies inside the frame and
 * every sounding object is visible in every frame; that each manifest holds
 * the clips meta.json counts for its split; and that every file under clips/
 * belongs to a clip of the manifests (left-overs of another set or of an
 * interrupted run are named). Problems of a clip name its manifest line. */
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
#include "av/files.h"
#include "av/status.h"
#include "data/manifest.h"
#include "video/decode.h"

#include <cjson/cJSON.h>

static const char *usage =
    "Usage: avdata check DIR\n"
    "Verifies the data set in DIR (made by avdata synth): meta.json and the manifests parse\n"
    "and hold the clips meta.json counts, files exist, videos decode, audio has the\n"
    "manifest's sample rate, stems sum to the mixture sample for sample, boxes lie inside\n"
    "the frames, every file under DIR/clips belongs to a clip of the manifests.\n"
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

/* An audio file of the clip, or NULL after naming why; a rate other than the
 * manifest's is named too (a stem written at another rate). */
static avs_audio *load(const avs_manifest_clip *c, const char *path, const char *id) {
  avs_audio *a = NULL;
  if (avs_audio_read(path, &a)) {
    problem(id, "%s", avs_errmsg());
    return NULL;
  }
  char msg[4200];
  snprintf(msg, sizeof msg, "%s has %d Hz, the manifest says %d Hz", path, a->rate, c->sample_rate);
  if (c->sample_rate && a->rate != c->sample_rate) problem(id, "%s", msg);
  return a;
}

/* Decodes the video's first and last frame: cheap, and it catches a file that
 * is no video or lost its end (a truncated copy). */
static void probe_video(const avs_manifest_clip *c, const char *id) {
  avs_video *v = NULL;
  avs_video_opts o = {.threads = 1};
  double t;
  avs_log_level level = avs_log_get_level();
  if (!app_verbose()) avs_log_set_level(AVS_LOG_ERROR); /* the problem line says it; -v shows the warnings */
  if (avs_video_open(c->video, &o, &v)) {
    problem(id, "%s", avs_errmsg());
    avs_log_set_level(level);
    return;
  }
  const avs_video_info *in = avs_video_info_get(v);
  double last = c->fps > 0 ? (c->frames - 1) / c->fps : in->duration;
  int rc = avs_video_next(v, &t);
  if (rc == 1 && last > 0 && !avs_video_seek(v, last)) rc = avs_video_next(v, &t);
  if (rc != 1) problem(id, rc < 0 ? "%s" : "%s: cannot decode its first and last frame (damaged or truncated)",
                       rc < 0 ? avs_errmsg() : c->video);
  else if (in->width != c->width || in->height != c->height)
    problem(id, "%s is not the manifest's frame size", c->video);
  avs_video_free(&v);
  avs_log_set_level(level);
}

/* The objects a clip of the kind must have: at least one, and the audio
 * kinds as many sounding ones as "sources" says. */
static void check_objects(const avs_manifest_clip *c, const char *id) {
  int sounding = 0;
  for (int k = 0; k < c->n_objects; k++) sounding += c->objects[k].sounding;
  char msg[96];
  snprintf(msg, sizeof msg, "%d sounding objects, \"sources\" says %d", sounding, c->sources);
  if (!c->n_objects) problem(id, "%s", "no objects (every clip shows at least one)");
  else if (c->audio && (!sounding || sounding != c->sources)) problem(id, "%s", msg);
}

static void check_clip(const avs_manifest *m, const avs_manifest_clip *c) {
  char id[4400];
  snprintf(id, sizeof id, "%s:%d: %s", m->path, c->line, c->id);
  if (!c->width || !c->height || !c->frames) {
    problem(id, "%s", "manifest line lacks width/height/frames");
    return;
  }
  check_objects(c, id);
  if (!app_file_exists(c->video)) problem(id, "missing %s", c->video);
  else probe_video(c, id);
  avs_audio *mix = c->audio ? load(c, c->audio, id) : NULL;
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
      avs_audio *s = load(c, o->stem, id);
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

/* meta.json, which every manifest needs: one line and exit 1 when it is
 * missing, unreadable (a folder) or not a JSON object. */
static cJSON *read_meta(const char *dir) {
  char path[4096], *text = NULL;
  snprintf(path, sizeof path, "%s/meta.json", dir);
  if (!app_file_exists(path)) app_fail("no data set in %s (meta.json is missing)", dir);
  if (avs_read_text(path, &text)) app_fail("%s", avs_errmsg());
  cJSON *meta = cJSON_ParseWithOpts(text, NULL, true);
  free(text);
  if (!cJSON_IsObject(meta)) app_fail("%s is not a JSON object: not an avdata set", path);
  return meta;
}

/* A manifest must hold the clips meta.json counts for its split (an emptied or
 * cut manifest); sets without "splits" are not counted. */
static void check_count(const cJSON *meta, const char *split, const avs_manifest *m) {
  const cJSON *want = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(meta, "splits"), split);
  if (!cJSON_IsNumber(want) || want->valuedouble == m->n) return;
  char msg[160];
  snprintf(msg, sizeof msg, "%d clips, meta.json counts %g for %s", m->n, want->valuedouble, split);
  problem(m->path, "%s", msg);
}

int avdata_check(int argc, char **argv) {
  const char *pos[1];
  app_parse(argc, argv, 2, opts, usage, pos, 1, 1);
  const char *dir = pos[0];
  char path[4096];
  cJSON *meta = read_meta(dir);
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
    check_count(meta, splits[s], m);
    for (int i = 0; i < m->n; i++) check_clip(m, &m->clips[i]);
    add_clip_files(&named, m);
    n_clips += m->n;
    avs_manifest_free(&m);
  }
  if (all_read) check_unreferenced(dir, &named); /* else every clip of the unread manifest would be named */
  for (size_t i = 0; i < named.n; i++) free(named.paths[i]);
  free(named.paths);
  cJSON_Delete(meta);
  printf("%lld clips checked, %d problem%s\n", (long long)n_clips, problems, problems == 1 ? "" : "s");
  return problems ? 1 : 0;
}
