/* Reading avdata manifests of labelled clips (see manifest.h). */
#include "apps/common/manifest.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "apps/common/cli.h"

static char *dir_of(const char *path) {
  char *copy = strdup(path);
  if (!copy) app_fail("out of memory");
  char *d = strdup(dirname(copy));
  free(copy);
  if (!d) app_fail("out of memory");
  return d;
}

static char *join(const char *dir, const char *rel) {
  size_t n = strlen(dir) + strlen(rel) + 2;
  char *s = malloc(n);
  if (!s) app_fail("out of memory");
  if (rel[0] == '/') snprintf(s, n, "%s", rel);
  else snprintf(s, n, "%s/%s", dir, rel);
  return s;
}

static char *read_all(const char *path, const char *what) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap);
  if (!buf) app_fail("out of memory");
  size_t got;
  while ((got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
    len += got;
    if (len + 1 == cap && !(buf = realloc(buf, cap *= 2))) app_fail("out of memory");
  }
  bool err = ferror(f);
  fclose(f);
  if (err) app_fail("cannot read the %s (%s)", what, path);
  buf[len] = 0;
  return buf;
}

static void load_classes(const char *dir, app_manifest *m) {
  char *meta_path = join(dir, "meta.json");
  char *text = read_all(meta_path, "data set description");
  if (!text) app_fail("no meta.json beside the manifest (%s): it names the classes", meta_path);
  cJSON *meta = cJSON_Parse(text);
  cJSON *classes = cJSON_GetObjectItemCaseSensitive(meta, "classes");
  int n = cJSON_IsArray(classes) ? cJSON_GetArraySize(classes) : 0;
  if (n < 1) app_fail("meta.json has no \"classes\" list (%s)", meta_path);
  if (!(m->classes = calloc((size_t)n, sizeof *m->classes))) app_fail("out of memory");
  for (int i = 0; i < n; i++) {
    const char *name = cJSON_GetStringValue(cJSON_GetArrayItem(classes, i));
    if (!name || !name[0]) app_fail("meta.json: class %d has no name (%s)", i, meta_path);
    if (!(m->classes[i] = strdup(name))) app_fail("out of memory");
  }
  m->n_classes = n;
  cJSON_Delete(meta);
  free(text);
  free(meta_path);
}

void app_manifest_load(const char *path, app_manifest *m) {
  memset(m, 0, sizeof *m);
  if (!(m->path = strdup(path))) app_fail("out of memory");
  char *text = read_all(path, "manifest");
  if (!text) app_fail("cannot open the manifest (%s)", path);
  char *dir = dir_of(path);
  load_classes(dir, m);
  int cap = 0, line_no = 0;
  for (char *line = text, *next; line && *line; line = next) {
    line_no++;
    next = strchr(line, '\n');
    if (next) *next++ = 0;
    if (!line[strspn(line, " \t\r")]) continue; /* blank line */
    cJSON *o = cJSON_Parse(line);
    if (!cJSON_IsObject(o)) app_fail("%s:%d: not a JSON object", path, line_no);
    const char *video = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "video"));
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "id"));
    cJSON *cls = cJSON_GetObjectItemCaseSensitive(o, "class");
    if (!video) app_fail("%s:%d: no \"video\"", path, line_no);
    if (!cJSON_IsNumber(cls) || cls->valuedouble != (double)cls->valueint)
      app_fail("%s:%d: no integer \"class\" (a manifest of labelled clips, e.g. avdata --kind actions)", path,
               line_no);
    if (cls->valueint < 0 || cls->valueint >= m->n_classes)
      app_fail("%s:%d: class %d is outside meta.json's %d classes", path, line_no, cls->valueint, m->n_classes);
    if (m->n == cap && !(m->clips = realloc(m->clips, sizeof *m->clips * (cap = cap ? 2 * cap : 256))))
      app_fail("out of memory");
    app_clip *c = &m->clips[m->n++];
    c->video = join(dir, video);
    c->id = strdup(id ? id : video);
    c->cls = cls->valueint;
    if (!c->id) app_fail("out of memory");
    cJSON_Delete(o);
  }
  if (!m->n) app_fail("the manifest lists no clips (%s)", path);
  free(dir);
  free(text);
}

void app_manifest_free(app_manifest *m) {
  for (int i = 0; i < m->n; i++) free(m->clips[i].id), free(m->clips[i].video);
  for (int i = 0; i < m->n_classes; i++) free(m->classes[i]);
  free(m->clips), free(m->classes), free(m->path);
  memset(m, 0, sizeof *m);
}
