/* Split sizes and clip seeds with disjoint content (see splits.h). */
#include "data/generator/splits.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "av/status.h"

/* ---- a set of 64-bit fingerprints (open addressing; 0 is never stored) ---- */
typedef struct {
  uint64_t *slot;
  size_t cap; /* a power of two */
} fpset;

static bool fpset_has(const fpset *s, uint64_t v) {
  for (size_t i = v & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
    if (!s->slot[i]) return false;
    if (s->slot[i] == v) return true;
  }
}

static void fpset_add(fpset *s, uint64_t v) {
  size_t i = v & (s->cap - 1);
  while (s->slot[i] && s->slot[i] != v) i = (i + 1) & (s->cap - 1);
  s->slot[i] = v;
}

int avs_data_split_sizes(int64_t count, float val_frac, float test_frac, int64_t n_split[3]) {
  if (count < 1 || count > AVS_DATA_MAX_CLIPS)
    return avs_seterr(AVS_EINVAL, "the clip count must be between 1 and %d, got %lld", AVS_DATA_MAX_CLIPS,
                      (long long)count);
  if (!isfinite(val_frac) || !isfinite(test_frac) || val_frac < 0 || val_frac > 1 || test_frac < 0 || test_frac > 1)
    return avs_seterr(AVS_EINVAL, "split fractions must be numbers between 0 and 1, got %g (val) and %g (test)",
                      val_frac, test_frac);
  if (val_frac + test_frac > 1.0f)
    return avs_seterr(AVS_EINVAL, "the val and test fractions add up to more than 1 (%g + %g)", val_frac, test_frac);
  n_split[2] = llround((double)count * test_frac);
  n_split[1] = llround((double)count * val_frac);
  if (n_split[1] + n_split[2] > count) n_split[1] = count - n_split[2];
  n_split[0] = count - n_split[1] - n_split[2];
  return AVS_OK;
}

/* True when a content fingerprint of the plan is in seen or repeats within the plan. */
static bool repeats(const avs_data_plan_t *plan, const fpset *seen) {
  for (int j = 0; j < plan->n; j++) {
    uint64_t fp = plan->src[j].content;
    if (!fp) continue;
    if (fpset_has(seen, fp)) return true;
    for (int q = 0; q < j; q++)
      if (plan->src[q].content == fp) return true;
  }
  return false;
}

int avs_data_splits_plan(avs_data_gen *g, uint64_t run_seed, int64_t count, float val_frac, float test_frac,
                         avs_data_splits *out) {
  memset(out, 0, sizeof *out);
  avs_data_splits s = {.count = count};
  int rc = avs_data_split_sizes(count, val_frac, test_frac, s.n_split);
  if (rc) return rc;
  avs_data_kind kind = avs_data_gen_config(g)->kind;
  fpset seen = {NULL, 1024};
  while (seen.cap < (size_t)count * 4 * AVS_DATA_MAX_OBJECTS) seen.cap *= 2;
  seen.slot = calloc(seen.cap, sizeof *seen.slot);
  s.seeds = malloc((size_t)count * sizeof *s.seeds);
  s.split = malloc((size_t)count * sizeof *s.split);
  s.index = malloc((size_t)count * sizeof *s.index);
  avs_data_plan_t *plan = malloc(sizeof *plan);
  if (!seen.slot || !s.seeds || !s.split || !s.index || !plan) {
    rc = avs_seterr(AVS_ENOMEM, "out of memory for %lld clips", (long long)count);
    goto fail;
  }
  int64_t k = 0;
  for (int sp = 0; sp < 3; sp++)
    for (int64_t i = 0; i < s.n_split[sp]; i++, k++) {
      for (int attempt = 0;; attempt++) {
        if (attempt > AVS_DATA_MAX_ATTEMPTS) {
          rc = avs_seterr(AVS_EINVAL, "cannot find new content for clip %lld", (long long)k);
          goto fail;
        }
        s.seeds[k] = avs_data_clip_seed(run_seed, kind, sp, i, attempt);
        if ((rc = avs_data_plan(g, s.seeds[k], plan))) goto fail;
        if (!repeats(plan, &seen)) break;
        s.redrawn++;
      }
      for (int j = 0; j < plan->n; j++)
        if (plan->src[j].content) fpset_add(&seen, plan->src[j].content);
      s.split[k] = sp;
      s.index[k] = i;
    }
  free(plan);
  free(seen.slot);
  *out = s;
  return AVS_OK;
fail:
  free(plan);
  free(seen.slot);
  avs_data_splits_free(&s);
  return rc;
}

void avs_data_splits_free(avs_data_splits *s) {
  if (!s) return;
  free(s->seeds);
  free(s->split);
  free(s->index);
  memset(s, 0, sizeof *s);
}
