/* The sources of one video, separated and written: what `avsep separate` does
 * for its video and `avsep coseparate` for each of its videos. */
#ifndef AVS_APP_AVSEP_SOURCES_H
#define AVS_APP_AVSEP_SOURCES_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "nn/model.h"
#include "fusion/discover.h"
#include "fusion/separate.h"
#include "video/decode.h"

#define AVSEP_LOUDNESS_HOP 0.1 /* seconds per loudness value in sources.json */

typedef struct {
  const avs_model *m;
  const char *video;           /* its frames show the sources */
  const char *label;           /* the video in warnings */
  const avs_video_info *info;
  const float *x;              /* the audio to separate: n samples at the model's rate */
  int64_t n;
  int rate;                    /* the tracks' rate and length */
  int64_t frames;
  const float *complete;       /* audio at `rate` (frames) the tracks are completed to add up to, or NULL */
  const float (*boxes)[4];     /* given boxes (n_boxes), or found: */
  int n_boxes;
  const float *point;          /* X,Y: the region of that spot, or NULL */
  int sources;                 /* discovery: exactly this many (0: as many as are found) */
  avs_sep_mask_rule rule;
  bool video_out;
  const char *dir, *prefix;    /* files DIR/PREFIXsource_K.wav, ..._heatmap.png, .mp4 */
} avsep_sources_job;

/* --binary and --masks, how both commands make masks: AVSEP_MASK_OPTS(o.mask)
 * in the option table, then avsep_mask_rule(&o.mask) (a usage error on a bad value). */
typedef struct {
  const char *masks;
  bool binary;
} avsep_mask_opts;

#define AVSEP_MASK_OPTS(m)                                                                                    \
  {"binary", 0, APP_FLAG, &(m).binary, "binary masks (mask > 0.5) instead of soft ones", 0, 0},                \
  {"masks", 0, APP_STRING, &(m).masks,                                                                         \
   "compete (default: the sources share each time-frequency bin by their masks' squares) or independent", 0, 0}

avs_sep_mask_rule avsep_mask_rule(const avsep_mask_opts *m);

/* Finds (or takes) the sources, separates them, writes their files into the
 * existing folder j->dir and returns their description: {"sources": [...],
 * "heatmap": [...]} (sources.json's fields). Fails the app on error. */
cJSON *avsep_sources_write(const avsep_sources_job *j);

#endif
