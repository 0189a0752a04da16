/* --per-source: the sounding things of the video found and separated with a
 * separation model, as `avsep separate` does (fusion/discover.h on the
 * loudest window, fusion/sep_video.h over the whole soundtrack), each track
 * brought to the localizer's rate. Separation needs the whole soundtrack at
 * the separation model's rate (11025 Hz: 2.6 MB a minute) plus one track per
 * source: memory grows with the video's length here, unlike the plain map. */
#ifndef AVS_APP_AVLOC_SOURCES_H
#define AVS_APP_AVLOC_SOURCES_H

#include <stdint.h>

#include "apps/avloc/results.h"

struct cJSON;

typedef struct {
  int n;
  float *track[AVLOC_MAX_SOURCES]; /* frames samples each at the localizer's rate */
  int64_t frames;
  float box[AVLOC_MAX_SOURCES][4]; /* where each was found, pixels */
} avloc_sources;

/* want: 0 finds as many as stand out, else exactly that many. A silent
 * soundtrack, or one where nothing stands out, gives one source: the whole
 * picture (with a warning). Fails the app (one line) on error. */
void avloc_sources_separate(const char *video, const char *sep_model, int want, int rate, avloc_sources *out);
/* [{"source": k, "box": [x0, y0, x1, y1], "color": [r, g, b]}, ...] */
struct cJSON *avloc_sources_json(const avloc_sources *s, int w, int h);
void avloc_sources_free(avloc_sources *s);

#endif
