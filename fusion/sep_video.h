/* Separating the soundtrack of a video, each source by a fixed box of the
 * picture: the windows of fusion/separate.h take their crops from the video's
 * frames at the window's times, decoded once, front to back (memory stays a
 * few frames and crops whatever the length). */
#ifndef AVS_FUSION_SEP_VIDEO_H
#define AVS_FUSION_SEP_VIDEO_H

#include "fusion/separate.h"

typedef struct {
  int sources;
  const float (*boxes)[4];      /* one per source, pixels of the video's frames */
  avs_sep_mask_rule rule;
  avs_sep_progress_fn progress;
  void *progress_user;
} avs_sep_video_job;

/* x: n samples of the soundtrack at the model's rate; out[j] n samples each. */
int avs_sep_separate_video(const avs_model *m, const char *video, const float *x, int64_t n,
                           const avs_sep_video_job *job, float *const *out);

#endif
