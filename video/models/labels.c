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

/* Fails naming the first line that repeats an earlier one. Quadratic, which
 * is nothing for label lists (hundreds to a few thousand names). */
static int check_unique(char **names, int n, const char *path) {
  for (int i = 1; i < n; i++)
    for (int j = 0; j < i; j++)
      if (!strcmp(names[i], names[j]))
        return avs_seterr(AVS_EFORMAT, "line %d of the labels file repeats '%s' of line %d (%s)", i + 1, names[i],
                          j + 1, path);
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
    if (!line[strspn(line, " \t")]) {
      rc = avs_seterr(AVS_EFORMAT, "line %d of the labels file is empty (%s)", n, path);
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
  if ((rc = check_unique(names, n, path))) goto fail;
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

/* The names the file carries (metadata "labels"): AVS_ENOTFOUND when none or damaged. */
static int own_labels(const avs_model *m, int classes, char ***out) {
  const char *text = avs_params_get_meta(&m->params, "labels");
  if (!text) return AVS_ENOTFOUND;
  char **names = calloc((size_t)classes, sizeof *names);
  if (!names) return avs_seterr(AVS_ENOMEM, "out of memory");
  int n = 0;
  for (const char *p = text; n < classes; n++) {
    size_t len = strcspn(p, "\n");
    if (!(names[n] = strndup(p, len))) {
      avs_labels_free(&names, classes);
      return avs_seterr(AVS_ENOMEM, "out of memory");
    }
    if (!p[len]) {
      n++;
      break;
    }
    p += len + 1;
  }
  if (n != classes) {
    avs_log(AVS_LOG_WARN, "the model's class names list %d names for %d classes: not used", n, classes);
    avs_labels_free(&names, classes);
    return AVS_ENOTFOUND;
  }
  *out = names;
  return AVS_OK;
}

int avs_action_model_labels(const avs_model *m, char ***names, int *n) {
  *names = NULL;
  *n = avs_action_model_base(m)->classes;
  int rc = own_labels(m, *n, names);
  if (rc != AVS_ENOTFOUND) return rc;
  rc = avs_labels_shipped(*n, names);
  if (rc == AVS_ENOTFOUND) {
    char why[400];
    snprintf(why, sizeof why, "%s", avs_errmsg());
    return avs_seterr(AVS_ENOTFOUND, "the model carries no class names, and %s", why);
  }
  return rc;
}
