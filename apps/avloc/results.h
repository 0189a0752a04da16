/* avloc heatmap's results on stdout: the --json document (kept in a
 * temporary file until the run ends, so a failed run prints nothing and a
 * long video does not grow the memory), or without it a summary line per
 * second of video (the strongest peak of the frames processed in it). */
#ifndef AVS_APP_AVLOC_RESULTS_H
#define AVS_APP_AVLOC_RESULTS_H

#include <stdbool.h>

#include "apps/avloc/peaks.h"

struct cJSON;

#define AVLOC_MAX_SOURCES 8 /* maps per frame (--per-source) */

typedef struct avloc_results avloc_results;

/* json: the JSON document; summary: the per-second lines (printed as the
 * seconds complete); per_source: maps per separated source (--per-source),
 * however many were found. Fails the app on error. */
avloc_results *avloc_results_new(bool json, bool summary, bool per_source);
/* One processed frame at time t (seconds) and the peaks of its maps (one map,
 * or one per source), strongest first: pk[j][0..n[j]). Per source, the
 * frame's "peaks" and "boxes" are the strongest of all (at most
 * AVLOC_MAX_PEAKS) and "sources" lists each map's own (also for one source). */
void avloc_results_add(avloc_results *r, double t, int maps, const avloc_peak (*pk)[AVLOC_MAX_PEAKS], const int *n);
/* Prints the JSON document: {"video", "model", "width", "height", "fps",
 * the fields of extra (may be NULL; taken over), "frames": [...]}. */
void avloc_results_finish(avloc_results *r, const char *video, const char *model, int w, int h, double fps,
                          struct cJSON *extra);
void avloc_results_free(avloc_results **r);

#endif
