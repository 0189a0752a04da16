#include "video/models/labels.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "av/datadir.h"
#include "av/status.h"

/* The shipped lists (data/labels/NAME.txt, see data/labels/README). */
static const struct {
  const char *name;
  int classes;
} shipped[] = {
    {"kinetics400", 400}, /* torchvision's Kinetics-400 order */
    {"ucf101", 101},      /* UCF101's classInd.txt order */
};
enum { N_SHIPPED = sizeof shipped / sizeof *shipped };

void avs_labels_free(char ***names, int n) {
  if (!names || !*names) return;
  for (int i = 0; i < n; i++) free((*names)[i]);
  free(*names);
  *names = NULL;
}

static int shipped_path(const char *name, char **path) {
  char rel[64];
  snprintf(rel, sizeof rel, "labels/%s.txt", name);
  return avs_data_path(rel, path);
}

/* Fails naming the first empty (or blank) name, or the first that repeats an
 * earlier one; `what` is "the labels file" or "the model's labels metadata",
 * `where` the file. Quadratic, which is nothing for label lists (hundreds to a
 * few thousand names). The one rule for --labels files and model files. */
static bool blank(const char *name) { return !name[strspn(name, " \t")]; }

static int empty_name(int line, const char *what, const char *where) {
  return avs_seterr(AVS_EFORMAT, "line %d of %s is empty (%s)", line, what, where);
}

static int check_names(char **names, int n, const char *what, const char *where) {
  for (int i = 0; i < n; i++) {
    if (blank(names[i])) return empty_name(i + 1, what, where);
    for (int j = 0; j < i; j++)
      if (!strcmp(names[i], names[j]))
        return avs_seterr(AVS_EFORMAT, "line %d of %s repeats '%s' of line %d (%s)", i + 1, what, names[i], j + 1,
                          where);
  }
  return AVS_OK;
}

static int read_list(const char *path, int classes, char ***out) {
  FILE *f = fopen(path, "r");
  if (!f) {
    char known[128] = "";
    for (int i = 0; i < N_SHIPPED; i++)
      snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", i ? ", " : "", shipped[i].name);
    return avs_seterr(AVS_ENOTFOUND, "cannot open the labels file (%s); the shipped lists are %s", path, known);
  }
  int rc = AVS_OK, n = 0;
  char **names = calloc((size_t)classes, sizeof *names);
  if (!names) {
    rc = avs_seterr(AVS_ENOMEM, "out of memory");
    goto fail;
  }
  char line[1024];
  while (fgets(line, sizeof line, f)) {
    n++;
    size_t len = strcspn(line, "\r\n");
    if (!line[len] && !feof(f)) {
      rc = avs_seterr(AVS_EFORMAT, "line %d of the labels file is over %zu characters (%s)", n, sizeof line - 2, path);
      goto fail;
    }
    line[len] = 0;
    if (blank(line)) { /* also past the count, so a trailing empty line is named as such */
      rc = empty_name(n, "the labels file", path);
      goto fail;
    }
    if (n <= classes && !(names[n - 1] = strdup(line))) {
      rc = avs_seterr(AVS_ENOMEM, "out of memory");
      goto fail;
    }
  }
  if (ferror(f)) {
    rc = avs_seterr(AVS_EIO, "cannot read the labels file (%s)", path);
    goto fail;
  }
  if (n != classes) {
    rc = avs_seterr(AVS_ESHAPE, "the labels file has %d names but the model has %d classes (%s)", n, classes, path);
    goto fail;
  }
  if ((rc = check_names(names, n, "the labels file", path))) goto fail;
  fclose(f);
  *out = names;
  return AVS_OK;
fail:
  fclose(f);
  avs_labels_free(&names, classes);
  return rc;
}

int avs_labels_load(const char *spec, int classes, char ***names) {
  *names = NULL;
  if (!spec || classes <= 0) return avs_seterr(AVS_EINVAL, "avs_labels_load: no list or no classes");
  for (int i = 0; i < N_SHIPPED; i++) {
    if (strcmp(spec, shipped[i].name)) continue;
    char *path;
    if (shipped_path(spec, &path))
      return avs_seterr(AVS_ENOTFOUND, "the shipped label list '%s' is not installed: %s", spec, avs_errmsg());
    int rc = read_list(path, classes, names);
    free(path);
    return rc;
  }
  return read_list(spec, classes, names);
}

int avs_labels_shipped(int classes, char ***names) {
  *names = NULL;
  for (int i = 0; i < N_SHIPPED; i++)
    if (shipped[i].classes == classes) return avs_labels_load(shipped[i].name, classes, names);
  return avs_seterr(AVS_ENOTFOUND, "no shipped label list has %d classes", classes);
}

/* The names the model carries (metadata "labels", one per line): AVS_ENOTFOUND
 * when none; a list of the wrong length, with an empty or repeated name, is
 * refused as a --labels file is (`where` names the model file). */
static int own_labels(const avs_model *m, int classes, const char *where, char ***out) {
  const char *text = avs_params_get_meta(&m->params, "labels");
  if (!text) return AVS_ENOTFOUND;
  int n = 1;
  for (const char *c = text; *c; c++) n += *c == '\n';
  if (n != classes)
    return avs_seterr(AVS_ESHAPE, "the model's labels metadata has %d names but the model has %d classes (%s)", n,
                      classes, where);
  char **names = calloc((size_t)n, sizeof *names);
  if (!names) return avs_seterr(AVS_ENOMEM, "out of memory");
  const char *p = text;
  for (int i = 0; i < n; i++) {
    size_t len = strcspn(p, "\n");
    if (!(names[i] = strndup(p, len))) {
      avs_labels_free(&names, n);
      return avs_seterr(AVS_ENOMEM, "out of memory");
    }
    p += len + (p[len] == '\n');
  }
  int rc = check_names(names, n, "the model's labels metadata", where);
  if (rc) avs_labels_free(&names, n);
  *out = names;
  return rc;
}

int avs_action_model_check_labels(const avs_model *m, const char *path) {
  char **names = NULL;
  int classes = avs_action_model_base(m)->classes;
  int rc = own_labels(m, classes, path, &names);
  avs_labels_free(&names, classes);
  return rc == AVS_ENOTFOUND ? AVS_OK : rc;
}

int avs_action_model_labels(const avs_model *m, char ***names, int *n) {
  *names = NULL;
  *n = avs_action_model_base(m)->classes;
  int rc = own_labels(m, *n, "model", names);
  if (rc != AVS_ENOTFOUND) return rc;
  rc = avs_labels_shipped(*n, names);
  if (rc == AVS_ENOTFOUND) {
    char why[400];
    snprintf(why, sizeof why, "%s", avs_errmsg());
    return avs_seterr(AVS_ENOTFOUND, "the model carries no class names, and %s", why);
  }
  return rc;
}
