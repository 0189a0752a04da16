/* A hand-made separation set for the tests of fusion/sep_data.h's batches:
 * four clips of 2, 1, 3 and 1 objects, each object a tone plus noise (the
 * second object of clip 2 silent) and random crops, category k % classes. */
#ifndef AVS_TESTS_SEP_FIXTURE_H
#define AVS_TESTS_SEP_FIXTURE_H

#include <math.h>
#include <stdlib.h>

#include "av/rng.h"
#include "fusion/sep_data.h"

enum { SEP_FIXTURE_CLIPS = 4 };

static inline void sep_fixture_make(const avs_sep_geometry *g, int classes, avs_rng *rng, avs_sep_set *s) {
  static const int objects_of[SEP_FIXTURE_CLIPS] = {2, 1, 3, 1};
  *s = (avs_sep_set){.g = *g, .n_clips = SEP_FIXTURE_CLIPS};
  s->first = calloc(SEP_FIXTURE_CLIPS, sizeof(int)), s->count = calloc(SEP_FIXTURE_CLIPS, sizeof(int));
  for (int c = 0; c < SEP_FIXTURE_CLIPS; c++)
    s->first[c] = s->n_obj, s->count[c] = objects_of[c], s->n_obj += objects_of[c];
  s->obj = calloc((size_t)s->n_obj, sizeof *s->obj);
  size_t per = (size_t)g->frames * g->height * g->width * 3;
  for (int c = 0, k = 0; c < SEP_FIXTURE_CLIPS; c++)
    for (int q = 0; q < objects_of[c]; q++, k++) {
      avs_sep_object *o = &s->obj[k];
      o->clip = c, o->cls = k % classes;
      o->crops = malloc(sizeof(float) * per);
      for (size_t i = 0; i < per; i++) o->crops[i] = avs_rng_normal(rng);
      if (c == 2 && q == 1) continue;
      o->wave = malloc(sizeof(float) * (size_t)g->samples);
      float f = 0.01f + 0.05f * (float)k; /* a tone per object, plus noise */
      for (int64_t t = 0; t < g->samples; t++) o->wave[t] = 0.3f * sinf(f * (float)t) + 0.05f * avs_rng_normal(rng);
    }
}

static inline void sep_fixture_free(avs_sep_set *s) {
  for (int i = 0; i < s->n_obj; i++) free(s->obj[i].wave), free(s->obj[i].crops);
  for (int c = 0; s->background && c < s->n_clips; c++) free(s->background[c]);
  free(s->obj), free(s->first), free(s->count), free(s->background);
}

#endif
