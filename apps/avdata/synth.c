/* avdata synth: plans every clip (data/generator/splits.h: melodies and
 * sentences disjoint across clips and splits), renders and writes them in parallel, then writes
 * the split manifests and then meta.json at the end: meta.json is the commit
 * mark (every reader refuses a folder without it), so a failed or interrupted
 * run never leaves a set that looks complete; SIGINT/SIGTERM remove the
 * temporaries in flight (app_init). */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apps/avdata/avdata.h"
#include "apps/common/cli.h"
#include "apps/common/output.h"
#include "apps/common/progress.h"
#include "apps/common/verbose.h"
#include "av/status.h"
#include "data/generator/avdata.h"
#include "data/generator/splits.h"

static const char *usage =
    "Usage: avdata synth --kind KIND --count N --out DIR [options]\n"
    "Makes N clips of KIND (music, speech, actions) under DIR/clips/ with their ground\n"
    "truth (mixture and per-source WAV stems, per-frame boxes, labels, speaker ids) and\n"
    "the manifests DIR/train.jsonl, val.jsonl, test.jsonl and DIR/meta.json. Melodies\n"
    "and sentences never repeat across clips or splits; the same seed and options make\n"
    "the same files. Options left at 0 take the kind's default (music: 6 s, 8 fps,\n"
    "128x128, 11025 Hz, 1-3 players; speech: 4 s, 16 fps, 128x128, 16000 Hz, 1-2\n"
    "speakers; actions: 2 s, 8 fps, 112x112, no audio).";

static const char *kind_s, *out_dir, *soundfont, *voices, *count_s;
static int count, seed = 1, width, height, fps, rate, min_src, max_src, speakers, timbres, clutter = -1;
static float seconds, val_frac = 0.1f, test_frac = 0.1f, distract = -1;
static bool flac, force;

static const app_opt opts[] = {
    {"kind", 'k', APP_STRING, &kind_s, "music, speech or actions", 0, 0},
    {"count", 'n', APP_STRING, &count_s, "number of clips, all splits together (required)", 0, 0},
    {"out", 'o', APP_STRING, &out_dir, "output folder (created)", 0, 0},
    {"seed", 's', APP_INT, &seed, "run seed", 0, 2147483647},
    {"soundfont", 0, APP_STRING, &soundfont, "music: a .sf2/.sf3 General MIDI soundfont, or several separated by commas (each instrument's stem from one drawn per object; recorded in the manifest) (default Debian's FluidR3_GM)", 0, 0},
    {"voice", 0, APP_STRING, &voices, "speech: comma-separated espeak-ng voices, e.g. en-us+f3,en+m1 (default a built-in list)", 0, 0},
    {"speakers", 0, APP_INT, &speakers, "speech: size of the speaker pool, 0 for 24", 0, 1000},
    {"timbres", 0, APP_INT, &timbres, "speech: how many of the built-in espeak-ng variants the pool cycles through, 0 for 24 (at most 66; not with --voice)", 0, AVS_DATA_TIMBRES_MAX},
    {"seconds", 0, APP_FLOAT, &seconds, "clip length in seconds, 0 for the kind's default", 0, 30},
    {"fps", 0, APP_INT, &fps, "frames per second, 0 for the default", 0, 60},
    {"width", 0, APP_INT, &width, "frame width, 0 for the default", 0, 1024},
    {"height", 0, APP_INT, &height, "frame height, 0 for the default", 0, 1024},
    {"rate", 0, APP_INT, &rate, "audio sample rate in Hz, 0 for the default", 0, 48000},
    {"min-sources", 0, APP_INT, &min_src, "fewest sounding objects per clip, 0 for 1", 0, 3},
    {"max-sources", 0, APP_INT, &max_src, "most sounding objects per clip, 0 for 3 (music) or 2 (speech)", 0, 3},
    {"distractors", 0, APP_FLOAT, &distract, "music: chance of a silent instrument in view, -1 for 0.2", -1, 1},
    {"clutter", 0, APP_INT, &clutter, "mean number of background clutter shapes, -1 for the default", -1, 100},
    {"val", 0, APP_FLOAT, &val_frac, "fraction of clips in the validation split", 0, 1},
    {"test", 0, APP_FLOAT, &test_frac, "fraction of clips in the test split", 0, 1},
    {"flac", 0, APP_FLAG, &flac, "write FLAC instead of WAV (same samples, about half the size)", 0, 0},
    {"force", 0, APP_FLAG, &force,
     "write into a folder that is not empty: first remove what avdata synth owns there (manifests, meta.json, "
     "clip files); other files stay", 0, 0},
    {0},
};

static const char *split_names[3] = {"train", "val", "test"};

static bool empty_or_missing(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *e;
  bool empty = true;
  while (d && empty && (e = readdir(d))) empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
  if (d) closedir(d);
  return empty;
}

/* A set is never mixed into an existing folder by accident: old clips of a
 * larger set would stay beside the new manifests. */
static void prepare_out_dir(const char *dir) {
  if (empty_or_missing(dir)) {
    app_mkdirs(dir);
    return;
  }
  if (!force) app_fail("%s is not empty: add --force to replace the data set there, or choose another --out", dir);
  app_mkdirs(dir);
  if (avs_data_set_clear(dir)) app_fail_status(avs_errcode());
}

static char *write_text(const char *dir, const char *name, const char *text, size_t len) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  char *tmp = app_tmp_path(path);
  FILE *f = fopen(tmp, "wb");
  if (!f) app_fail("cannot write %s", path);
  if ((len && fwrite(text, 1, len, f) != len) | fclose(f)) app_fail("cannot write %s", path);
  return tmp;
}

static cJSON *meta_json(const avs_data_gen *g, int64_t n_split[3]) {
  const avs_data_config *c = avs_data_gen_config(g);
  cJSON *m = cJSON_CreateObject();
  cJSON_AddStringToObject(m, "generator", "avdata");
  cJSON_AddNumberToObject(m, "version", AVS_DATA_VERSION);
  cJSON_AddStringToObject(m, "kind", avs_data_kind_name(c->kind));
  cJSON_AddNumberToObject(m, "seed", seed);
  cJSON_AddNumberToObject(m, "count", (double)(n_split[0] + n_split[1] + n_split[2]));
  cJSON *sp = cJSON_AddObjectToObject(m, "splits");
  for (int s = 0; s < 3; s++) cJSON_AddNumberToObject(sp, split_names[s], (double)n_split[s]);
  cJSON_AddNumberToObject(m, "width", c->width);
  cJSON_AddNumberToObject(m, "height", c->height);
  cJSON_AddNumberToObject(m, "fps", c->fps);
  cJSON_AddNumberToObject(m, "seconds", c->seconds);
  cJSON_AddNumberToObject(m, "frames", lrintf(c->seconds * c->fps));
  if (c->kind != AVS_DATA_ACTIONS) {
    cJSON_AddNumberToObject(m, "sample_rate", c->sample_rate);
    cJSON_AddNumberToObject(m, "min_sources", c->min_sources);
    cJSON_AddNumberToObject(m, "max_sources", c->max_sources);
    cJSON_AddStringToObject(m, "audio_format", flac ? "flac" : "wav");
  }
  cJSON_AddNumberToObject(m, "clutter", c->clutter);
  if (c->kind == AVS_DATA_MUSIC) {
    cJSON_AddStringToObject(m, "soundfont", c->soundfont);
    cJSON_AddNumberToObject(m, "distractor_prob", round(c->distractor_prob * 1000) / 1000);
  }
  cJSON *cls = cJSON_AddArrayToObject(m, "classes");
  if (c->kind == AVS_DATA_SPEECH) {
    cJSON *spk = cJSON_AddArrayToObject(m, "speakers");
    for (int i = 0; i < c->speakers; i++) {
      char name[16];
      snprintf(name, sizeof name, "spk%03d", i);
      cJSON_AddItemToArray(cls, cJSON_CreateString(name));
      cJSON_AddItemToArray(spk, cJSON_CreateString(avs_data_speaker_desc(g, i)));
    }
  } else
    for (int i = 0; i < avs_data_class_count(c->kind); i++)
      cJSON_AddItemToArray(cls, cJSON_CreateString(avs_data_class_name(c->kind, i)));
  return m;
}

int avdata_synth(int argc, char **argv) {
  app_parse(argc, argv, 2, opts, usage, NULL, 0, 0);
  if (!kind_s) app_usage_error("missing --kind (music, speech or actions)");
  avs_data_kind kind;
  if (avs_data_kind_parse(kind_s, &kind)) app_usage_error("%s", avs_errmsg());
  if (!count_s) app_usage_error("missing --count");
  char *end;
  long cl = strtol(count_s, &end, 10);
  if (end == count_s || *end) app_usage_error("--count needs a whole number, got '%s'", count_s);
  if (cl < 1) app_usage_error("--count must be at least 1, got %s", count_s);
  if (cl > AVS_DATA_MAX_CLIPS) app_usage_error("--count %s is more than %d", count_s, AVS_DATA_MAX_CLIPS);
  count = (int)cl;
  if (!out_dir || !*out_dir) app_usage_error("missing --out");
  int64_t n_split[3];
  if (avs_data_split_sizes(count, val_frac, test_frac, n_split)) app_usage_error("--val/--test: %s", avs_errmsg());

  avs_data_config cfg;
  avs_data_config_default(&cfg, kind);
  if (seconds > 0) cfg.seconds = seconds;
  if (fps) cfg.fps = fps;
  if (width) cfg.width = width;
  if (height) cfg.height = height;
  if (rate) cfg.sample_rate = rate;
  if (min_src) cfg.min_sources = min_src;
  if (max_src) cfg.max_sources = max_src;
  if (min_src && !max_src && cfg.max_sources < min_src) cfg.max_sources = min_src;
  app_verbose_line("making %d %s clips into %s: %dx%d at %d fps, %.3g s, seed %d", count, avs_data_kind_name(kind),
                   out_dir, cfg.width, cfg.height, cfg.fps, cfg.seconds, seed);
  if (distract >= 0) cfg.distractor_prob = distract;
  if (clutter >= 0) cfg.clutter = clutter;
  if (speakers) cfg.speakers = speakers;
  if (timbres) cfg.timbres = timbres;
  cfg.soundfont = soundfont;
  cfg.voices = voices;
  if (soundfont && kind != AVS_DATA_MUSIC) app_warn("--soundfont is used only by --kind music");
  if (voices && kind != AVS_DATA_SPEECH) app_warn("--voice is used only by --kind speech");
  if (timbres && voices) app_usage_error("--timbres picks from the built-in voices; --voice replaces them");
  if (avs_data_config_check(&cfg)) app_usage_error("%s", avs_errmsg());

  double t0 = app_now();
  avs_data_gen *g;
  int rc = avs_data_gen_new(&cfg, &g);
  if (rc) app_fail_status(rc);
  prepare_out_dir(out_dir);

  /* ---- plan: splits, seeds, disjoint content ---- */
  avs_data_splits plan;
  if ((rc = avs_data_splits_plan(g, (uint64_t)seed, count, val_frac, test_frac, &plan))) app_fail_status(rc);
  char **lines = calloc((size_t)count, sizeof *lines);
  if (!lines) app_fail("out of memory for %d clips", count);
  if (plan.redrawn) app_info("%lld clips re-drawn to keep melodies/sentences unique", (long long)plan.redrawn);

  /* ---- render and write in parallel ---- */
  app_progress p;
  app_progress_start(&p, "making clips", count);
  int64_t done = 0;
  int failed = 0;
  char errbuf[1024] = "";
  int nt = app_threads() > 0 ? app_threads() : omp_get_num_procs();
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
  for (int64_t c = 0; c < count; c++) {
    int stop;
#pragma omp atomic read
    stop = failed;
    if (stop) continue;
    char id[96];
    snprintf(id, sizeof id, "%s_%s_%06lld", avs_data_kind_name(kind), split_names[plan.split[c]],
             (long long)plan.index[c]);
    avs_data_clip clip = {0};
    avs_data_plan_t *pc = malloc(sizeof *pc);
    int r = pc ? avs_data_plan(g, plan.seeds[c], pc) : avs_seterr(AVS_ENOMEM, "out of memory");
    if (!r) r = avs_data_render(g, pc, &clip);
    if (!r) r = avs_data_clip_write(g, pc, &clip, out_dir, id, split_names[plan.split[c]], flac, &lines[c]);
    avs_data_clip_free(&clip);
    free(pc);
#pragma omp critical(avdata_progress)
    {
      if (r && !failed) {
        failed = 1;
        snprintf(errbuf, sizeof errbuf, "clip %s: %s", id, avs_errmsg()[0] ? avs_errmsg() : avs_strerror(r));
      }
      if (!r) app_progress_update(&p, ++done);
    }
  }
  app_progress_end(&p);
  if (failed) app_fail("%s", errbuf);

  /* ---- manifests, all committed together ---- */
  double secs = app_now() - t0;
  char *tmps[4];
  int64_t first = 0;
  for (int s = 0; s < 3; s++) {
    size_t len = 0;
    for (int64_t c = first; c < first + n_split[s]; c++) len += strlen(lines[c]) + 1;
    char *text = malloc(len + 1), *o = text;
    if (!text) app_fail("out of memory");
    for (int64_t c = first; c < first + n_split[s]; c++) {
      size_t l = strlen(lines[c]);
      memcpy(o, lines[c], l);
      o[l] = '\n';
      o += l + 1;
    }
    char name[32];
    snprintf(name, sizeof name, "%s.jsonl", split_names[s]);
    tmps[s] = write_text(out_dir, name, text, len);
    free(text);
    first += n_split[s];
  }
  cJSON *meta = meta_json(g, n_split);
  char *mtext = cJSON_Print(meta);
  if (!mtext) app_fail("out of memory");
  size_t mlen = strlen(mtext);
  mtext = realloc(mtext, mlen + 2);
  mtext[mlen] = '\n';
  tmps[3] = write_text(out_dir, "meta.json", mtext, mlen + 1);
  static const char *finals[] = {"train.jsonl", "val.jsonl", "test.jsonl", "meta.json"};
  for (int i = 0; i < 4; i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", out_dir, finals[i]);
    app_commit(tmps[i], path);
    free(tmps[i]);
  }
  app_info("made %d %s clips in %.1f s (%.3f s per clip, %d threads): %lld train, %lld val, %lld test in %s", count,
           avs_data_kind_name(kind), secs, secs / count, nt, (long long)n_split[0], (long long)n_split[1],
           (long long)n_split[2], out_dir);
  cJSON_Delete(meta);
  free(mtext);
  for (int64_t c = 0; c < count; c++) free(lines[c]);
  free(lines);
  avs_data_splits_free(&plan);
  avs_data_gen_free(&g);
  return 0;
}
