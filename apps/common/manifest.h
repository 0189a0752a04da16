/* The apps' view of avdata manifests (data/manifest.h): load or fail the app
 * with the reader's one-line message. */
#ifndef AVS_APP_MANIFEST_H
#define AVS_APP_MANIFEST_H

#include "data/manifest.h"

/* A manifest of labelled clips (every clip has a class, meta.json names them). */
avs_manifest *app_manifest_labelled(const char *path);
/* A manifest of mixtures with stems (separation). */
avs_manifest *app_manifest_stems(const char *path);
/* Clips with video and audio (any kind but actions); exits naming the first clip without. */
avs_manifest *app_manifest_audio(const char *path);

#endif
