/* Planning a data set: split sizes and every clip's seed, with melodies and
 * sentences kept disjoint across clips and splits (library avs_data).
 *
 *   avs_data_splits s;
 *   if (avs_data_splits_plan(g, run_seed, count, 0.1f, 0.1f, &s)) ... avs_errmsg() ...
 *   for (int64_t c = 0; c < s.count; c++)   // train clips first, then val, then test
 *     ... avs_data_plan(g, s.seeds[c], &plan) ... s.split[c], s.index[c] ...
 *   avs_data_splits_free(&s);
 *
 * Only the final seed of each clip is kept: a plan is cheap to redo (~13 KB). */
#ifndef AVS_DATA_SPLITS_H
#define AVS_DATA_SPLITS_H

#include <stdint.h>

#include "data/generator/avdata.h"

#define AVS_DATA_MAX_CLIPS 10000000
#define AVS_DATA_MAX_ATTEMPTS 1000 /* re-draws of one clip before giving up */

typedef struct {
  int64_t count;       /* clips, all splits together */
  int64_t n_split[3];  /* train, val, test */
  uint64_t *seeds;     /* count: each clip's seed (avs_data_clip_seed with its final attempt) */
  int *split;          /* count: 0 train, 1 val, 2 test */
  int64_t *index;      /* count: index of the clip within its split */
  int64_t redrawn;     /* clips re-drawn because their content repeated earlier content */
} avs_data_splits;

/* Sizes of the splits of count clips: test = round(count * test_frac),
 * val = round(count * val_frac) (at most what test leaves), train the rest.
 * AVS_EINVAL when count is outside [1, AVS_DATA_MAX_CLIPS], a fraction is not
 * a finite number in [0, 1], or the two add up to more than 1. */
int avs_data_split_sizes(int64_t count, float val_frac, float test_frac, int64_t n_split[3]);

/* Sizes the splits (avs_data_split_sizes), then draws each clip's plan in
 * order (train, val, test) and re-draws it (next attempt of
 * avs_data_clip_seed) while one of its melodies or sentences repeats one
 * already drawn or another of its own. AVS_EINVAL as avs_data_split_sizes;
 * AVS_ENOMEM; the planner's error; AVS_EUNSUPPORTED naming the clip when no
 * new content comes in AVS_DATA_MAX_ATTEMPTS re-draws. *out is zeroed on error. */
int avs_data_splits_plan(avs_data_gen *g, uint64_t run_seed, int64_t count, float val_frac, float test_frac,
                         avs_data_splits *out);
void avs_data_splits_free(avs_data_splits *s);

#endif
