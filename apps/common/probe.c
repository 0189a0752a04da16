/* Reading an input's streams (see probe.h). */
#include "apps/common/probe.h"

#include "apps/common/cli.h"
#include "apps/common/verbose.h"
#include "av/status.h"

avs_video_info app_probe_video(const char *path) {
  avs_video *v = NULL;
  if (avs_video_open(path, NULL, &v)) app_fail_status(avs_errcode());
  avs_video_info info = *avs_video_info_get(v);
  app_verbose_video(path, &info);
  avs_video_free(&v);
  return info;
}
