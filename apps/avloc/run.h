/* avloc heatmap's pass over a video: frames are decoded one by one; the ones
 * to process are gathered in batches with their audio windows and go through
 * the localizer together; each frame of the overlay video takes the map of
 * the latest processed frame at or before it. Frames wait in a queue only
 * between the first processed frame of a batch and the batch's end, and the
 * queue is flushed early when its pixels pass a fixed budget, so memory stays
 * bounded whatever the video's length. */
#ifndef AVS_APP_AVLOC_RUN_H
#define AVS_APP_AVLOC_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "apps/avloc/audio_window.h"
#include "apps/avloc/peaks.h"
#include "apps/avloc/results.h"
#include "apps/avloc/soundtrack.h"
#include "apps/common/progress.h"
#include "fusion/localization.h"
#include "video/colormap.h"
#include "video/decode.h"
#include "video/encode.h"

typedef struct {
  /* set by the caller */
  const char *video;
  const avs_model *model;
  avs_loc_geometry g;
  avs_ctx *ctx;
  int w, h;                 /* the video's size: every frame, map and output has it */
  double fps;               /* the video's rate */
  float proc_fps;           /* > 0: process this many frames per second */
  int every;                /* else every Nth frame (1: all) */
  int batch;                /* frames per localizer call */
  int sources;              /* maps per frame: 1, or one per separated source (--per-source) */
  avloc_audio *audio[AVLOC_MAX_SOURCES]; /* each map's audio windows at the model's rate */
  avs_video_writer *writer; /* -o (NULL: none) */
  avloc_sound *sound;       /* its soundtrack */
  const char *png_dir;      /* --png: the temporary folder (NULL: none) */
  float png_every;          /* seconds between stills, 0: every processed frame */
  avloc_results *results;
  avs_cmap cmap;
  float alpha;
  /* counts, for the caller */
  int64_t frames, processed, stills;
  int64_t windows, silent;  /* audio windows (processed frames x sources) and the silent ones */
} avloc_run;

/* Runs the pass; fails the app (one line) on error. */
void avloc_run_video(avloc_run *r);

#endif
