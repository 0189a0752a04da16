/* What aveval loc reads of one clip of an avdata set: its middle frame
 * (index frames / 2, as LVS and EZ-VSL test on the clip's centre frame), the
 * mixture's window of the model's length centred on that frame's time, and
 * the boxes of that frame as unions (sounding, silent). */
#ifndef AVS_APP_AVEVAL_LOC_CLIP_H
#define AVS_APP_AVEVAL_LOC_CLIP_H

#include <stdbool.h>
#include <stdint.h>

#include "data/manifest.h"
#include "video/image.h"

typedef struct {
  avs_image frame;            /* RGB at the video's size */
  float *window;              /* `samples` mono samples at `rate`; NULL when no audio was asked */
  uint8_t *sounding, *silent; /* frame.w x frame.h: the unions of the boxes on this frame */
  bool any_sounding, any_silent;
} loc_clip;

/* The frame index scored in a clip of `frames` frames. */
static inline int loc_clip_frame(const avs_manifest_clip *c) { return c->frames > 0 ? c->frames / 2 : 0; }

/* Reads clip c; samples 0 reads no audio (the baselines need none). The
 * window is the mixture resampled to `rate`, centred on the frame's time,
 * zero past the ends of the track. */
int loc_clip_read(const avs_manifest_clip *c, int rate, int samples, loc_clip *out);
void loc_clip_release(loc_clip *c);

#endif
