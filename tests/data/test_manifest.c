/* The avdata manifest reader (data/manifest.h) on the committed sample sets
 * and on broken manifests written here: fields and resolved paths, empty
 * splits (refused unless AVS_MANIFEST_EMPTY_OK), errors naming file and line.
 *   data_manifest OUTDIR   (AVS_SOURCE_DIR: the source tree) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "av/status.h"
#include "data/manifest.h"
#include "tests/harness.h"

static char dir[4096];

static const char *write_set(const char *name, const char *meta, const char *lines) {
  static char path[4400];
  char sub[4200];
  snprintf(sub, sizeof sub, "%s/%s", dir, name);
  mkdir(sub, 0777);
  snprintf(path, sizeof path, "%s/meta.json", sub);
  FILE *f = meta ? fopen(path, "w") : NULL;
  if (f) fputs(meta, f), fclose(f);
  snprintf(path, sizeof path, "%s/train.jsonl", sub);
  f = fopen(path, "w");
  if (f) fputs(lines, f), fclose(f);
  return path;
}

static bool ends_with(const char *s, const char *tail) {
  size_t n = s ? strlen(s) : 0, t = strlen(tail);
  return n >= t && !strcmp(s + n - t, tail);
}

static void samples(const char *src) {
  char path[4096];
  avs_manifest *m = NULL;
  snprintf(path, sizeof path, "%s/data/samples/music/test.jsonl", src);
  int rc = avs_manifest_load(path, &m);
  if (tst_true(rc == 0, "music sample test split loads (%s)", rc ? avs_errmsg() : "ok")) {
    const avs_manifest_clip *c = &m->clips[0];
    tst_true(m->n == 1 && !strcmp(m->kind, "music") && m->n_classes == 12 && !strcmp(m->classes[3], "clarinet"),
             "one music clip, 12 classes (%d, %s, %d)", m->n, m->kind, m->n_classes);
    tst_true(!strcmp(c->id, "music_test_000000") && c->frames == 48 && c->width == 128 && c->sample_rate == 11025 &&
                 c->samples == 66150 && c->fps == 8 && c->sources == 3 && c->n_objects >= 3 && c->line == 1,
             "clip fields: %s, %d frames, %dx%d, %d Hz, %lld samples", c->id, c->frames, c->width, c->height,
             c->sample_rate, (long long)c->samples);
    char want[4200];
    snprintf(want, sizeof want, "%s/data/samples/music/clips/music_test_000000/s0.flac", src);
    const avs_manifest_object *o = &c->objects[0];
    tst_true(o->stem && !strcmp(o->stem, want) && ends_with(c->audio, "/clips/music_test_000000/mix.flac") &&
                 ends_with(c->video, "/clips/music_test_000000/video.mp4"),
             "paths resolved from the manifest's folder: %s", o->stem ? o->stem : "(none)");
    tst_true(o->cls == 3 && o->sounding && !strcmp(o->label, "clarinet") && o->n_boxes == 48 && o->boxes[0][0] == 100 &&
                 o->boxes[0][3] == 94,
             "first object: class %d, %d boxes, box 0 [%d %d %d %d]", o->cls, o->n_boxes, o->boxes[0][0],
             o->boxes[0][1], o->boxes[0][2], o->boxes[0][3]);
    rc = avs_manifest_require_stems(m);
    tst_true(rc == 0, "a separation manifest (%s)", rc ? avs_errmsg() : "ok");
  }
  avs_manifest_free(&m);
  tst_true(m == NULL, "free sets the pointer to NULL");
  snprintf(path, sizeof path, "%s/data/samples/speech/test.jsonl", src);
  rc = avs_manifest_load(path, &m);
  if (tst_true(rc == 0, "speech sample loads (%s)", rc ? avs_errmsg() : "ok"))
    tst_true(m->clips[0].objects[0].cls == 4, "speech: \"speaker\" is the class (%d)", m->clips[0].objects[0].cls);
  avs_manifest_free(&m);
  snprintf(path, sizeof path, "%s/data/samples/actions/train.jsonl", src);
  rc = avs_manifest_load(path, &m);
  if (tst_true(rc == 0, "actions sample loads (%s)", rc ? avs_errmsg() : "ok")) {
    tst_true(m->clips[0].cls >= 0 && !m->clips[0].audio && avs_manifest_require_labels(m) == 0,
             "actions: labelled clips without audio (class %d)", m->clips[0].cls);
    tst_true(avs_manifest_require_stems(m) == AVS_EFORMAT && strstr(avs_errmsg(), "no \"audio\""),
             "actions is not a separation manifest: %s", avs_errmsg());
  }
  avs_manifest_free(&m);
}

int main(int argc, char **argv) {
  const char *src = getenv("AVS_SOURCE_DIR");
  if (argc < 2 || !src) {
    fprintf(stderr, "usage: AVS_SOURCE_DIR=SRC %s OUTDIR\n", argv[0]);
    return 2;
  }
  snprintf(dir, sizeof dir, "%s", argv[1]);
  mkdir(dir, 0777);
  samples(src);

  static const char *meta = "{\"kind\": \"music\", \"classes\": [\"a\", \"b\"]}";
  static const char *clip = "{\"id\": \"c0\", \"video\": \"clips/c0/video.mp4\", \"audio\": \"clips/c0/mix.wav\", "
                            "\"objects\": [{\"class\": 1, \"stem\": \"clips/c0/s0.wav\", \"boxes\": [[1, 2, 3, 4]]}, "
                            "{\"class\": 0, \"sounding\": false}]}\n";
  avs_manifest *m = NULL;
  const char *p = write_set("empty", meta, "\n  \n");
  int rc = avs_manifest_load(p, &m);
  tst_true(rc == AVS_EFORMAT && !m && strstr(avs_errmsg(), "lists no clips"), "an empty manifest is refused: %s",
           avs_errmsg());
  rc = avs_manifest_load_flags(p, AVS_MANIFEST_EMPTY_OK, &m);
  tst_true(rc == 0 && m && m->n == 0 && m->n_classes == 2 && !strcmp(m->kind, "music"),
           "with AVS_MANIFEST_EMPTY_OK it loads with no clips (%s)", rc ? avs_errmsg() : "ok");
  avs_manifest_free(&m);

  p = write_set("good", meta, clip);
  rc = avs_manifest_load_flags(p, 0, &m);
  if (tst_true(rc == 0, "a hand-written manifest loads (%s)", rc ? avs_errmsg() : "ok")) {
    const avs_manifest_clip *c = &m->clips[0];
    tst_true(c->n_objects == 2 && c->objects[0].sounding && !c->objects[1].sounding && !c->objects[1].stem &&
                 c->objects[0].n_boxes == 1 && c->width == 0 && c->cls == -1,
             "silent objects have no stem; absent fields are 0 / -1");
    tst_true(avs_manifest_require_stems(m) == 0, "its sounding object has a stem");
  }
  avs_manifest_free(&m);

  static const struct {
    const char *name, *meta, *lines, *want;
    int code;
  } bad[] = {
      {"no_meta", NULL, "{}\n", "meta.json", AVS_ENOTFOUND},
      {"not_json", "{}", "{\"video\": \"v.mp4\"}\n{\"video\": \n", "train.jsonl:2: not a JSON object", AVS_EFORMAT},
      {"no_video", "{}", "{\"id\": \"x\"}\n", "train.jsonl:1: no \"video\"", AVS_EFORMAT},
      {"escape", "{}", "{\"video\": \"../v.mp4\"}\n", "leaves the data set", AVS_EFORMAT},
      {"absolute", "{}", "{\"video\": \"/etc/passwd\"}\n", "leaves the data set", AVS_EFORMAT},
      {"class_range", "{\"classes\": [\"a\"]}", "{\"video\": \"v.mp4\", \"class\": 1}\n", "outside meta.json",
       AVS_EFORMAT},
      {"class_type", "{}", "{\"video\": \"v.mp4\", \"frames\": 2.5}\n", "\"frames\" is not", AVS_EFORMAT},
      {"box", "{}", "{\"video\": \"v.mp4\", \"objects\": [{\"boxes\": [[1, 2, 3]]}]}\n", "box 0", AVS_EFORMAT},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    p = write_set(bad[i].name, bad[i].meta, bad[i].lines);
    rc = avs_manifest_load_flags(p, AVS_MANIFEST_EMPTY_OK, &m);
    tst_true(rc == bad[i].code && !m && strstr(avs_errmsg(), bad[i].want), "%s: %s (want '%s')", bad[i].name,
             avs_errmsg(), bad[i].want);
  }
  char missing[4200];
  snprintf(missing, sizeof missing, "%s/none/train.jsonl", dir);
  rc = avs_manifest_load(missing, &m);
  tst_true(rc == AVS_ENOTFOUND && strstr(avs_errmsg(), missing), "a missing manifest: %s", avs_errmsg());
  return tst_finish();
}
