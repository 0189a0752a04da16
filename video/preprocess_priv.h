/* Private to video/: converting a held FFmpeg frame (clip.c keeps one frame
 * back to pick the nearest frame to each sampling time). */
#ifndef AVS_VIDEO_PREPROCESS_PRIV_H
#define AVS_VIDEO_PREPROCESS_PRIV_H

#include <libavutil/frame.h>

#include "video/preprocess.h"

int avs_prep_avframe(avs_prep *p, const AVFrame *f, uint8_t *rgb, float *out);

#endif
