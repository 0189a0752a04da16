/* The shipped data from C: avs_data_path's search order (AVS_DATA first, the
 * source tree's data/ for programs of the build tree, the error that lists
 * every folder and names AVS_DATA) and the class-name arrays built on it
 * (avs_labels_*, avs_action_model_labels). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "av/datadir.h"
#include "tests/harness.h"
#include "video/models/labels.h"

static char src_data[PATH_MAX], tmp[64];

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  AVS_ASSERT(f);
  fputs(text, f);
  AVS_ASSERT(fclose(f) == 0);
}

/* avs_data_path(rel) is dir/rel. */
static void found_in(const char *rel, const char *dir) {
  char *p = NULL, want[PATH_MAX + 64];
  int rc = avs_data_path(rel, &p);
  snprintf(want, sizeof want, "%s/%s", dir, rel);
  tst_true(rc == AVS_OK && p && !strcmp(p, want), "%s: %s (want %s)", rel, rc ? avs_errmsg() : p, want);
  free(p);
}

static void data_path(void) {
  const char *src = getenv("AVS_SOURCE_DIR");
  AVS_ASSERT(src);
  char buf[PATH_MAX];
  snprintf(buf, sizeof buf, "%s/data", src);
  AVS_ASSERT(realpath(buf, src_data));

  unsetenv("AVS_DATA");
  found_in("models/action.safetensors", src_data); /* a program of the build tree */
  char *p = (char *)1;
  int rc = avs_data_path("models/none.safetensors", &p);
  tst_true(rc == AVS_ENOTFOUND && !p && strstr(avs_errmsg(), "$AVS_DATA (unset)") &&
               strstr(avs_errmsg(), src_data) && strstr(avs_errmsg(), "set AVS_DATA"),
           "missing file, AVS_DATA unset: %s", avs_errmsg());
  rc = avs_data_path("models", &p);
  tst_true(rc == AVS_ENOTFOUND, "a folder is not a data file: %d", rc);
  tst_true(avs_data_path("/etc/passwd", &p) == AVS_EINVAL && avs_data_path("", &p) == AVS_EINVAL,
           "absolute or empty paths are refused");

  /* AVS_DATA comes first; what it lacks is found further on */
  snprintf(tmp, sizeof tmp, "/tmp/avs_datadir_XXXXXX");
  AVS_ASSERT(mkdtemp(tmp));
  snprintf(buf, sizeof buf, "%s/models", tmp);
  AVS_ASSERT(mkdir(buf, 0755) == 0);
  snprintf(buf, sizeof buf, "%s/models/action.safetensors", tmp);
  write_file(buf, "x");
  setenv("AVS_DATA", tmp, 1);
  found_in("models/action.safetensors", tmp);
  found_in("labels/ucf101.txt", src_data);
  rc = avs_data_path("models/none.safetensors", &p);
  tst_true(rc == AVS_ENOTFOUND && strstr(avs_errmsg(), tmp) && strstr(avs_errmsg(), src_data) &&
               !strstr(avs_errmsg(), "(unset)"),
           "missing file, AVS_DATA set: %s", avs_errmsg());
  remove(buf);
  unsetenv("AVS_DATA");
}

static void labels(void) {
  char **names = NULL, path[PATH_MAX + 32];
  int rc = avs_labels_shipped(101, &names);
  tst_true(rc == AVS_OK && !strcmp(names[0], "ApplyEyeMakeup") && !strcmp(names[100], "YoYo"),
           "the shipped list of 101 classes is UCF101's: %s", rc ? avs_errmsg() : names[0]);
  avs_labels_free(&names, 101);
  tst_true(!names, "avs_labels_free sets the array to NULL");
  rc = avs_labels_shipped(7, &names);
  tst_true(rc == AVS_ENOTFOUND && !names, "no shipped list has 7 classes: %s", avs_errmsg());
  rc = avs_labels_load("kinetics400", 5, &names);
  tst_true(rc == AVS_ESHAPE && strstr(avs_errmsg(), "has 400 names but the model has 5 classes"),
           "a shipped list of another count: %s", avs_errmsg());

  snprintf(path, sizeof path, "%s/three.txt", tmp);
  write_file(path, "run\nwalk\njump\n");
  rc = avs_labels_load(path, 3, &names);
  tst_true(rc == AVS_OK && !strcmp(names[2], "jump"), "a file of three names: %s", rc ? avs_errmsg() : names[2]);
  avs_labels_free(&names, 3);
  write_file(path, "run\nwalk\nrun\n");
  rc = avs_labels_load(path, 3, &names);
  tst_true(rc == AVS_EFORMAT && strstr(avs_errmsg(), "line 3 of the labels file repeats 'run' of line 1"),
           "a repeated name: %s", avs_errmsg());
  remove(path);

  /* the model's own names (the shipped model carries them), else by class count */
  char *file;
  avs_model *m = NULL;
  int n = 0;
  AVS_ASSERT(avs_data_path("models/action.safetensors", &file) == AVS_OK);
  AVS_ASSERT(avs_action_model_load(file, &m) == AVS_OK);
  rc = avs_action_model_labels(m, &names, &n);
  tst_true(rc == AVS_OK && n == 12 && !strcmp(names[0], "translate_left") && !strcmp(names[11], "orbit_ccw"),
           "the shipped model's own names: %s", rc ? avs_errmsg() : names[0]);
  avs_labels_free(&names, n);
  avs_model_free(&m);
  free(file);

  const avs_arch *a = avs_action_arch_find("single_frame");
  AVS_ASSERT(a);
  void *cfg = malloc(a->cfg_size);
  AVS_ASSERT(cfg);
  for (int classes = 400; classes >= 5; classes -= 395) {
    char spec[64];
    memcpy(cfg, a->cfg_default, a->cfg_size);
    snprintf(spec, sizeof spec, "channels=4,classes=%d", classes);
    AVS_ASSERT(avs_cfg_parse(a, cfg, spec) == AVS_OK);
    AVS_ASSERT(avs_model_new_from(a, cfg, &m) == AVS_OK);
    rc = avs_action_model_labels(m, &names, &n);
    if (classes == 400)
      tst_true(rc == AVS_OK && n == 400 && !strcmp(names[0], "abseiling"),
               "a 400-class model without names gets Kinetics-400's: %s", rc ? avs_errmsg() : names[0]);
    else
      tst_true(rc == AVS_ENOTFOUND && !names && n == 5 && strstr(avs_errmsg(), "carries no class names"),
               "a 5-class model without names has none: %s", avs_errmsg());
    avs_labels_free(&names, n);
    avs_model_free(&m);
  }

  /* A model file's own list is held to a --labels file's rules at load. */
  memcpy(cfg, a->cfg_default, a->cfg_size);
  AVS_ASSERT(avs_cfg_parse(a, cfg, "channels=4,classes=3") == AVS_OK);
  snprintf(path, sizeof path, "%s/three.safetensors", tmp);
  static const struct { const char *labels, *error; } lists[] = {
      {"run\nwalk\njump", NULL},
      {"run\n\njump", "line 2 of the model's labels metadata is empty"},
      {"run\nwalk\n ", "line 3 of the model's labels metadata is empty"},
      {"run\nwalk\nrun", "line 3 of the model's labels metadata repeats 'run' of line 1"},
      {"run\nwalk", "the model's labels metadata has 2 names but the model has 3 classes"},
      {"run\nwalk\njump\n", "has 4 names but the model has 3 classes"},
  };
  for (size_t i = 0; i < sizeof lists / sizeof *lists; i++) {
    AVS_ASSERT(avs_model_new_from(a, cfg, &m) == AVS_OK);
    AVS_ASSERT(avs_params_set_meta(&m->params, "labels", lists[i].labels) == AVS_OK);
    AVS_ASSERT(avs_model_save(m, path) == AVS_OK);
    avs_model_free(&m);
    rc = avs_action_model_load(path, &m);
    if (!lists[i].error)
      tst_true(rc == AVS_OK && m, "a model whose labels are fine loads: %s", rc ? avs_errmsg() : "ok");
    else
      tst_true(rc != AVS_OK && !m && strstr(avs_errmsg(), lists[i].error) && strstr(avs_errmsg(), path),
               "a model with a damaged labels list (%zu) is refused: %s", i, rc ? avs_errmsg() : "loaded");
    avs_model_free(&m);
  }
  remove(path);
  free(cfg);
}

int main(void) {
  data_path();
  labels();
  rmdir(tmp);
  return tst_finish();
}
