/* avdata manifests (docs/DATA.md): one JSON object per line. The labelled-clip
 * view used by training and evaluation: each clip's video (resolved against
 * the manifest's folder) and its class, plus the class names from meta.json
 * beside the manifest. */
#ifndef AVS_APP_MANIFEST_H
#define AVS_APP_MANIFEST_H

typedef struct {
  char *id;
  char *video; /* path usable from the working directory */
  int cls;     /* index into classes */
} app_clip;

typedef struct {
  char *path;
  app_clip *clips;
  int n;
  char **classes; /* from meta.json "classes"; n_classes names */
  int n_classes;
} app_manifest;

/* Reads a manifest of labelled clips. Fails the app with one line naming the
 * file and line for: a missing or unreadable file, a line that is not a JSON
 * object, no "video" or no integer "class", a class outside meta.json's
 * classes, no meta.json with "classes" beside it, no clips at all. */
void app_manifest_load(const char *path, app_manifest *m);
void app_manifest_free(app_manifest *m);

#endif
