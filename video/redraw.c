/* A video written again with drawings on its frames (see redraw.h). */
#include "video/redraw.h"

#include <stddef.h>

#include "av/status.h"
#include "video/decode.h"
#include "video/encode.h"
#include "video/preprocess.h"

int avs_video_redraw(const char *video, const char *path, const float *samples, int64_t n, int rate,
                     avs_redraw_fn draw, void *user) {
  if (n < 0 || (n > 0 && (!samples || rate < 1)))
    return avs_seterr(AVS_EINVAL, "redraw: %lld samples at %d Hz", (long long)n, rate);
  avs_video *v = NULL;
  avs_prep *prep = NULL;
  avs_video_writer *w = NULL;
  avs_image im = {0};
  int rc = avs_video_open(video, NULL, &v);
  if (!rc) rc = avs_prep_new(&(avs_geom){0}, NULL, &prep);
  const avs_video_info *info = rc ? NULL : avs_video_info_get(v);
  if (!rc) {
    avs_writer_params wp = {.width = info->width, .height = info->height, .fps = info->fps,
                            .sample_rate = n > 0 ? rate : 0, .channels = 1};
    rc = avs_video_writer_open(path, &wp, &w);
  }
  if (!rc) rc = avs_prep_set_source(prep, info->width, info->height);
  if (!rc) rc = avs_image_alloc(&im, info->width, info->height);
  double t;
  int step = 0;
  while (!rc && (step = avs_video_next(v, &t)) > 0) {
    rc = avs_prep_frame(prep, v, im.px, NULL);
    if (!rc && draw) draw(user, &im, t);
    if (!rc) rc = avs_video_writer_write(w, im.px);
  }
  if (!rc && step < 0) rc = step;
  if (!rc && n > 0) rc = avs_video_writer_write_audio(w, samples, n);
  if (!rc) rc = avs_video_writer_close(&w);
  avs_video_writer_free(&w); /* after a failure: removes the incomplete file */
  avs_image_release(&im);
  avs_prep_free(&prep);
  avs_video_free(&v);
  return rc;
}
