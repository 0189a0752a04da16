/* Class names for avact: a text file with one name per line, in class order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apps/avact/avact.h"
#include "apps/common/cli.h"
#include "apps/common/datadir.h"

char **avact_labels_load(const char *path, int classes, bool explicit_path) {
  if (!path) {
    /* torchvision's Kinetics-400 order for 400-class models, else class numbers */
    if (classes != 400 || !(path = app_data_path("labels/kinetics400.txt"))) return NULL;
  }
  FILE *f = fopen(path, "r");
  if (!f) app_fail("cannot open the labels file (%s)", path);
  char **names = calloc((size_t)classes, sizeof *names);
  if (!names) app_fail("out of memory");
  char line[1024];
  int n = 0;
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\r\n")] = 0;
    if (n < classes && !(names[n] = strdup(line))) app_fail("out of memory");
    n++;
  }
  bool err = ferror(f);
  fclose(f);
  if (err) app_fail("cannot read the labels file (%s)", path);
  if (n != classes) {
    if (explicit_path) app_fail("the labels file has %d names but the model has %d classes (%s)", n, classes, path);
    avact_labels_free(names, classes);
    return NULL;
  }
  return names;
}

void avact_labels_free(char **names, int classes) {
  if (!names) return;
  for (int i = 0; i < classes; i++) free(names[i]);
  free(names);
}
