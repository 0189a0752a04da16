/* Class names for avact: a text file with one name per line, in class order,
 * or a list shipped in data/labels/ named by its data set. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apps/avact/avact.h"
#include "apps/common/cli.h"
#include "apps/common/datadir.h"

/* The shipped lists (data/labels/NAME.txt, see data/labels/README): a model
 * without --labels gets the one with its class count. */
static const struct {
  const char *name;
  int classes;
} shipped[] = {
    {"kinetics400", 400}, /* torchvision's Kinetics-400 order */
    {"ucf101", 101},      /* UCF101's classInd.txt order */
};
enum { N_SHIPPED = sizeof shipped / sizeof *shipped };

static const char *shipped_path(const char *name) {
  char rel[64];
  snprintf(rel, sizeof rel, "labels/%s.txt", name);
  return app_data_path(rel);
}

/* Fails naming the first line that repeats an earlier one. Quadratic, which
 * is nothing for label lists (hundreds to a few thousand names). */
static void check_unique(char **names, int n, const char *path) {
  for (int i = 1; i < n; i++)
    for (int j = 0; j < i; j++)
      if (!strcmp(names[i], names[j]))
        app_fail("line %d of the labels file repeats '%s' of line %d (%s)", i + 1, names[i], j + 1, path);
}

/* spec: a file path, a shipped list's name, or NULL for the shipped list with
 * `classes` names (none: NULL, numbers are printed). A wrong count fails the
 * app when the user named the list (explicit_path), else gives NULL; an empty
 * or repeated name always fails, naming its line. */
char **avact_labels_load(const char *spec, int classes, bool explicit_path) {
  const char *path = spec;
  if (!spec) {
    for (int i = 0; i < N_SHIPPED && !path; i++)
      if (shipped[i].classes == classes) path = shipped_path(shipped[i].name);
    if (!path) return NULL; /* class numbers are printed instead */
  }
  /* A shipped list's name means that list; a file of that name is ./NAME. */
  for (int i = 0; spec && i < N_SHIPPED; i++)
    if (!strcmp(spec, shipped[i].name) && !(path = shipped_path(spec)))
      app_fail("the shipped label list '%s' is not installed (data/labels/%s.txt)", spec, spec);
  FILE *f = fopen(path, "r");
  if (!f) {
    char known[128] = "";
    for (int i = 0; i < N_SHIPPED; i++)
      snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", i ? ", " : "", shipped[i].name);
    app_fail("cannot open the labels file (%s); the shipped lists are %s", path, known);
  }
  char **names = calloc((size_t)classes, sizeof *names);
  if (!names) app_fail("out of memory");
  char line[1024];
  int n = 0;
  while (fgets(line, sizeof line, f)) {
    n++;
    size_t len = strcspn(line, "\r\n");
    if (!line[len] && !feof(f))
      app_fail("line %d of the labels file is over %zu characters (%s)", n, sizeof line - 2, path);
    line[len] = 0;
    if (!line[strspn(line, " \t")]) app_fail("line %d of the labels file is empty (%s)", n, path);
    if (n <= classes && !(names[n - 1] = strdup(line))) app_fail("out of memory");
  }
  bool err = ferror(f);
  fclose(f);
  if (err) app_fail("cannot read the labels file (%s)", path);
  if (n != classes) {
    if (explicit_path) app_fail("the labels file has %d names but the model has %d classes (%s)", n, classes, path);
    avact_labels_free(names, classes);
    return NULL;
  }
  check_unique(names, n, path);
  return names;
}

void avact_labels_free(char **names, int classes) {
  if (!names) return;
  for (int i = 0; i < classes; i++) free(names[i]);
  free(names);
}

char **avact_labels_of_model(const avs_action_model *m) {
  const char *text = avs_params_get_meta(&m->params, "labels");
  int classes = avs_action_model_base(m)->classes;
  if (!text) return NULL;
  char **names = calloc((size_t)classes, sizeof *names);
  if (!names) app_fail("out of memory");
  int n = 0;
  for (const char *p = text; n < classes; n++) {
    size_t len = strcspn(p, "\n");
    if (!(names[n] = strndup(p, len))) app_fail("out of memory");
    if (!p[len]) {
      n++;
      break;
    }
    p += len + 1;
  }
  if (n != classes) { /* a damaged list: numbers, as for a model without one */
    app_warn("the model's class names list %d names for %d classes: printing class numbers", n, classes);
    avact_labels_free(names, classes);
    return NULL;
  }
  return names;
}
