#include "video/camera.h"

#include <stdio.h>
#include <string.h>

#include "av/status.h"

int avs_camera_open(const char *spec, const avs_camera_params *p, avs_video **out) {
  avs_camera_params none = {0};
  if (!p) p = &none;
  *out = NULL;
  if (!spec || !*spec) return avs_seterr(AVS_EINVAL, "no camera or stand-in given");
  if (p->width < 0 || p->height < 0 || (p->width == 0) != (p->height == 0) || !(p->fps >= 0 && p->fps <= 1000))
    return avs_seterr(AVS_EINVAL, "camera size %dx%d at %g fps is not valid", p->width, p->height, p->fps);
  avs_video_opts o = {0};
  char options[128] = "";
  const char *url = spec;
  if (!strncmp(spec, "v4l2:", 5) || !strncmp(spec, "/dev/video", 10)) {
    url = spec[0] == 'v' ? spec + 5 : spec;
    o.format = "v4l2";
    int k = 0;
    if (p->width) k += snprintf(options + k, sizeof options - k, "video_size=%dx%d", p->width, p->height);
    if (p->fps > 0) snprintf(options + k, sizeof options - k, "%sframerate=%g", k ? ":" : "", p->fps);
    o.options = options[0] ? options : NULL;
  } else if (!strncmp(spec, "lavfi:", 6)) {
    url = spec + 6;
    o.format = "lavfi";
    o.realtime = true; /* generators run as fast as they are read */
  } else {
    o.realtime = true;
    o.loop = !p->once;
  }
  return avs_video_open(url, &o, out);
}
