/* avdata manifests (docs/DATA.md): one JSON object per clip and line, with
 * meta.json beside them. The one reader of data sets for every tool
 * (avtrain, aveval, avdata, avsep): clips with their media, objects with
 * stems, per-frame boxes and `sounding`, class labels and names.
 *
 *   avs_manifest *m;
 *   if (avs_manifest_load("music/test.jsonl", &m)) fprintf(stderr, "%s\n", avs_errmsg());
 *   for (int i = 0; i < m->n; i++) ... m->clips[i].objects[k].stem ...
 *   avs_manifest_free(&m);
 *
 * Paths in the manifest are relative to its folder and must stay inside it;
 * they are returned resolved (usable from the working directory). Errors name
 * the file and line: a missing manifest or meta.json, a line that is not a
 * JSON object, a field of the wrong type, a class outside meta.json's
 * classes, a path leaving the set, no clips at all. */
#ifndef AVS_DATA_MANIFEST_H
#define AVS_DATA_MANIFEST_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
  char *label;        /* "clarinet", "spk007"; NULL when absent */
  int cls;            /* "class" (music) or "speaker" (speech); -1 when absent */
  bool sounding;      /* false: a silent object in view (no stem) */
  char *stem;         /* resolved path of its stem, NULL when silent */
  int n_boxes;        /* one box per video frame */
  int (*boxes)[4];    /* [x0, y0, x1, y1], half-open, in pixels */
} avs_manifest_object;

typedef struct {
  char *id;
  char *video;        /* resolved path */
  char *audio;        /* resolved path of the mixture WAV, NULL for video-only kinds */
  int cls;            /* clip label ("class", actions); -1 when absent */
  double fps;
  int frames, width, height, sample_rate;
  int64_t samples;
  int sources;        /* sounding objects */
  avs_manifest_object *objects; /* every object in view, sounding ones first */
  int n_objects;
  int line;           /* line of the manifest (for messages) */
} avs_manifest_clip;

typedef struct {
  char *path;         /* the manifest file */
  char *kind;         /* meta.json "kind": "music", "speech", "actions" (NULL if absent) */
  avs_manifest_clip *clips;
  int n;
  char **classes;     /* meta.json "classes" (may be empty) */
  int n_classes;
} avs_manifest;

int avs_manifest_load(const char *path, avs_manifest **out);
void avs_manifest_free(avs_manifest **m);

/* Options of avs_manifest_load_flags (bits). */
enum {
  AVS_MANIFEST_EMPTY_OK = 1, /* a manifest without clips (an empty split: avdata synth --val 0) loads with n = 0 */
};
/* avs_manifest_load with options; flags 0 is avs_manifest_load. */
int avs_manifest_load_flags(const char *path, unsigned flags, avs_manifest **out);

/* AVS_EFORMAT naming the first clip without an integer "class" (a labelled-clip
 * manifest, e.g. avdata --kind actions) or when meta.json names no classes. */
int avs_manifest_require_labels(const avs_manifest *m);
/* AVS_EFORMAT naming the first clip without audio or a sounding object
 * without its stem (a separation manifest: --kind music or speech). */
int avs_manifest_require_stems(const avs_manifest *m);

#endif
