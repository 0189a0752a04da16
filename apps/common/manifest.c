/* Loading manifests for the apps (see manifest.h). */
#include "apps/common/manifest.h"

#include <stddef.h>

#include "apps/common/cli.h"
#include "apps/common/verbose.h"
#include "av/status.h"

/* -v: which manifest, and what it holds. */
static avs_manifest *opened(avs_manifest *m) {
  app_verbose_line("opened %s: %d %s clip%s, %d classes", m->path, m->n, m->kind ? m->kind : "(unknown kind)",
                   m->n == 1 ? "" : "s", m->n_classes);
  return m;
}

avs_manifest *app_manifest_labelled(const char *path) {
  avs_manifest *m = NULL;
  if (avs_manifest_load(path, &m) || avs_manifest_require_labels(m)) app_fail_status(avs_errcode());
  return opened(m);
}

avs_manifest *app_manifest_stems(const char *path) {
  avs_manifest *m = NULL;
  if (avs_manifest_load(path, &m) || avs_manifest_require_stems(m)) app_fail_status(avs_errcode());
  return opened(m);
}

avs_manifest *app_manifest_audio(const char *path) {
  avs_manifest *m = NULL;
  if (avs_manifest_load(path, &m)) app_fail_status(avs_errcode());
  for (int i = 0; i < m->n; i++)
    if (!m->clips[i].audio)
      app_fail_status(avs_seterr(AVS_EFORMAT, "%s line %d: clip %s has no audio (a localization set needs video and audio)",
                                 path, m->clips[i].line, m->clips[i].id));
  return opened(m);
}
