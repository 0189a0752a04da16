/* The avdata manifest reader (see manifest.h). */
#include "data/manifest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "av/files.h"
#include "av/status.h"

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

/* dir + "/" + rel for a relative path that stays inside the set. */
static int resolve(const char *dir, const char *rel, const char *where, char **out) {
  *out = NULL;
  size_t len = strlen(rel);
  if (!rel[0] || rel[0] == '/' || !strncmp(rel, "../", 3) || strstr(rel, "/../") || !strcmp(rel, "..") ||
      (len >= 3 && !strcmp(rel + len - 3, "/..")))
    return avs_seterr(AVS_EFORMAT, "%s: path '%s' leaves the data set's folder", where, rel);
  size_t n = strlen(dir) + strlen(rel) + 2;
  if (!(*out = malloc(n))) return avs_seterr(AVS_ENOMEM, "out of memory");
  snprintf(*out, n, "%s/%s", dir, rel);
  return AVS_OK;
}

static int load_meta(const char *dir, avs_manifest *m) {
  char path[4096], *text = NULL;
  snprintf(path, sizeof path, "%s/meta.json", dir);
  int rc = avs_read_text(path, &text);
  if (rc == AVS_ENOTFOUND)
    return avs_seterr(rc, "no meta.json beside the manifest (%s): not a complete avdata set", path);
  if (rc) return rc; /* a folder, unreadable: its own cause */
  cJSON *meta = cJSON_Parse(text);
  cJSON *classes = cJSON_GetObjectItemCaseSensitive(meta, "classes");
  if (!cJSON_IsObject(meta)) {
    rc = avs_seterr(AVS_EFORMAT, "%s is not a JSON object", path);
    goto done;
  }
  m->kind = dup_or_null(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "kind")));
  int n = cJSON_IsArray(classes) ? cJSON_GetArraySize(classes) : 0;
  if (n && !(m->classes = calloc((size_t)n, sizeof *m->classes))) {
    rc = avs_seterr(AVS_ENOMEM, "out of memory");
    goto done;
  }
  for (int i = 0; i < n; i++) {
    const char *name = cJSON_GetStringValue(cJSON_GetArrayItem(classes, i));
    if (!name || !name[0]) {
      rc = avs_seterr(AVS_EFORMAT, "%s: class %d has no name", path, i);
      goto done;
    }
    if (!(m->classes[i] = strdup(name))) {
      rc = avs_seterr(AVS_ENOMEM, "out of memory");
      goto done;
    }
    m->n_classes = i + 1;
  }
done:
  cJSON_Delete(meta);
  free(text);
  return rc;
}

/* An optional integer field: *v = -1 when absent; AVS_EFORMAT when not an integer. */
static int opt_int(const cJSON *o, const char *key, const char *where, int *v) {
  const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);
  *v = -1;
  if (!j) return AVS_OK;
  if (!cJSON_IsNumber(j) || j->valuedouble != (double)j->valueint || j->valueint < 0)
    return avs_seterr(AVS_EFORMAT, "%s: \"%s\" is not a non-negative integer", where, key);
  *v = j->valueint;
  return AVS_OK;
}

static int read_boxes(const cJSON *arr, const char *where, avs_manifest_object *ob) {
  int n = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : 0;
  if (!n) return AVS_OK;
  if (!(ob->boxes = malloc(sizeof *ob->boxes * (size_t)n))) return avs_seterr(AVS_ENOMEM, "out of memory");
  for (int f = 0; f < n; f++) {
    const cJSON *b = cJSON_GetArrayItem(arr, f);
    if (cJSON_GetArraySize(b) != 4) return avs_seterr(AVS_EFORMAT, "%s: box %d is not [x0, y0, x1, y1]", where, f);
    for (int k = 0; k < 4; k++) {
      const cJSON *v = cJSON_GetArrayItem(b, k);
      if (!cJSON_IsNumber(v)) return avs_seterr(AVS_EFORMAT, "%s: box %d has a non-number", where, f);
      ob->boxes[f][k] = (int)v->valuedouble;
    }
    ob->n_boxes = f + 1;
  }
  return AVS_OK;
}

static int read_object(const cJSON *o, const char *dir, const avs_manifest *m, const char *where,
                       avs_manifest_object *ob) {
  ob->cls = -1;
  if (!cJSON_IsObject(o)) return avs_seterr(AVS_EFORMAT, "%s: an object is not a JSON object", where);
  ob->label = dup_or_null(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "label")));
  int rc = opt_int(o, "class", where, &ob->cls);
  if (!rc && ob->cls < 0) rc = opt_int(o, "speaker", where, &ob->cls);
  if (rc) return rc;
  if (ob->cls >= 0 && m->n_classes && ob->cls >= m->n_classes && !cJSON_GetObjectItemCaseSensitive(o, "speaker"))
    return avs_seterr(AVS_EFORMAT, "%s: class %d is outside meta.json's %d classes", where, ob->cls, m->n_classes);
  const cJSON *sounding = cJSON_GetObjectItemCaseSensitive(o, "sounding");
  ob->sounding = !cJSON_IsFalse(sounding);
  const char *stem = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "stem"));
  if (stem && (rc = resolve(dir, stem, where, &ob->stem))) return rc;
  return read_boxes(cJSON_GetObjectItemCaseSensitive(o, "boxes"), where, ob);
}

static int read_clip(const cJSON *o, const char *dir, const avs_manifest *m, const char *where, avs_manifest_clip *c) {
  const char *video = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "video"));
  const char *audio = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "audio"));
  const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "id"));
  if (!video) return avs_seterr(AVS_EFORMAT, "%s: no \"video\"", where);
  int rc = resolve(dir, video, where, &c->video);
  if (!rc && audio) rc = resolve(dir, audio, where, &c->audio);
  if (rc) return rc;
  if (!(c->id = strdup(id ? id : video))) return avs_seterr(AVS_ENOMEM, "out of memory");
  int v;
  if ((rc = opt_int(o, "class", where, &c->cls))) return rc;
  if (c->cls >= 0 && c->cls >= m->n_classes)
    return avs_seterr(AVS_EFORMAT, "%s: class %d is outside meta.json's %d classes", where, c->cls, m->n_classes);
  static const char *ints[] = {"frames", "width", "height", "sample_rate", "sources"};
  int *fields[] = {&c->frames, &c->width, &c->height, &c->sample_rate, &c->sources};
  for (int i = 0; i < 5; i++) {
    if ((rc = opt_int(o, ints[i], where, &v))) return rc;
    *fields[i] = v < 0 ? 0 : v;
  }
  const cJSON *fps = cJSON_GetObjectItemCaseSensitive(o, "fps"), *samples = cJSON_GetObjectItemCaseSensitive(o, "samples");
  c->fps = cJSON_IsNumber(fps) && fps->valuedouble > 0 ? fps->valuedouble : 0;
  c->samples = cJSON_IsNumber(samples) && samples->valuedouble > 0 ? (int64_t)samples->valuedouble : 0;
  const cJSON *objs = cJSON_GetObjectItemCaseSensitive(o, "objects");
  int n = cJSON_IsArray(objs) ? cJSON_GetArraySize(objs) : 0;
  if (n && !(c->objects = calloc((size_t)n, sizeof *c->objects))) return avs_seterr(AVS_ENOMEM, "out of memory");
  for (int k = 0; k < n; k++) {
    c->n_objects = k + 1;
    if ((rc = read_object(cJSON_GetArrayItem(objs, k), dir, m, where, &c->objects[k]))) return rc;
  }
  return AVS_OK;
}

static char *dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) return strdup(".");
  size_t n = (size_t)(slash - path);
  char *d = malloc(n + 2);
  if (d) snprintf(d, n + 2, "%.*s", n ? (int)n : 1, n ? path : "/");
  return d;
}

int avs_manifest_load(const char *path, avs_manifest **out) { return avs_manifest_load_flags(path, 0, out); }

int avs_manifest_load_flags(const char *path, unsigned flags, avs_manifest **out) {
  *out = NULL;
  char *text = NULL, *dir = NULL;
  avs_manifest *m = calloc(1, sizeof *m);
  if (!m || !(m->path = strdup(path)) || !(dir = dir_of(path))) {
    avs_manifest_free(&m);
    return avs_seterr(AVS_ENOMEM, "out of memory");
  }
  int rc = avs_read_text(path, &text);
  if (rc) rc = avs_seterr(rc, "cannot open the manifest (%s)", path);
  if (!rc) rc = load_meta(dir, m);
  int cap = 0, line_no = 0;
  for (char *line = text, *next; !rc && line && *line; line = next) {
    line_no++;
    next = strchr(line, '\n');
    if (next) *next++ = 0;
    if (!line[strspn(line, " \t\r")]) continue; /* blank line */
    char where[4200];
    snprintf(where, sizeof where, "%s:%d", path, line_no);
    cJSON *o = cJSON_ParseWithOpts(line, NULL, true);
    if (!cJSON_IsObject(o)) {
      rc = avs_seterr(AVS_EFORMAT, "%s: not a JSON object", where);
    } else if (m->n == cap && !(m->clips = realloc(m->clips, sizeof *m->clips * (size_t)(cap = cap ? 2 * cap : 256)))) {
      rc = avs_seterr(AVS_ENOMEM, "out of memory");
    } else {
      avs_manifest_clip *c = &m->clips[m->n++];
      memset(c, 0, sizeof *c);
      c->line = line_no;
      rc = read_clip(o, dir, m, where, c);
    }
    cJSON_Delete(o);
  }
  if (!rc && !m->n && !(flags & AVS_MANIFEST_EMPTY_OK))
    rc = avs_seterr(AVS_EFORMAT, "the manifest lists no clips (%s)", path);
  free(text);
  free(dir);
  if (rc) avs_manifest_free(&m);
  *out = m;
  return rc;
}

void avs_manifest_free(avs_manifest **mp) {
  avs_manifest *m = mp ? *mp : NULL;
  if (!m) return;
  for (int i = 0; i < m->n; i++) {
    avs_manifest_clip *c = &m->clips[i];
    for (int k = 0; k < c->n_objects; k++)
      free(c->objects[k].label), free(c->objects[k].stem), free(c->objects[k].boxes);
    free(c->objects), free(c->id), free(c->video), free(c->audio);
  }
  for (int i = 0; i < m->n_classes; i++) free(m->classes[i]);
  free(m->clips), free(m->classes), free(m->kind), free(m->path), free(m);
  *mp = NULL;
}

int avs_manifest_require_labels(const avs_manifest *m) {
  if (m->n_classes < 1)
    return avs_seterr(AVS_EFORMAT, "meta.json beside %s has no \"classes\" list: it names the classes", m->path);
  for (int i = 0; i < m->n; i++)
    if (m->clips[i].cls < 0)
      return avs_seterr(AVS_EFORMAT,
                        "%s:%d: no integer \"class\" (a manifest of labelled clips, e.g. avdata --kind actions)",
                        m->path, m->clips[i].line);
  return AVS_OK;
}

int avs_manifest_require_stems(const avs_manifest *m) {
  for (int i = 0; i < m->n; i++) {
    const avs_manifest_clip *c = &m->clips[i];
    if (!c->audio)
      return avs_seterr(AVS_EFORMAT, "%s:%d: no \"audio\" (a separation manifest: avdata --kind music or speech)",
                        m->path, c->line);
    for (int k = 0; k < c->n_objects; k++)
      if (c->objects[k].sounding && !c->objects[k].stem)
        return avs_seterr(AVS_EFORMAT, "%s:%d: sounding object %d has no \"stem\"", m->path, c->line, k);
  }
  return AVS_OK;
}
