#include "data/generator/melody.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "data/generator/draw.h"

static const int scales[][8] = {
    {7, 0, 2, 4, 5, 7, 9, 11}, /* major */
    {7, 0, 2, 3, 5, 7, 8, 10}, /* natural minor */
    {5, 0, 2, 4, 7, 9},        /* major pentatonic */
    {5, 0, 3, 5, 7, 10},       /* minor pentatonic */
    {7, 0, 2, 3, 5, 7, 9, 10}, /* dorian */
    {7, 0, 2, 3, 5, 7, 8, 11}, /* harmonic minor */
    {6, 0, 3, 5, 6, 7, 10},    /* blues */
};
#define N_SCALES (int)(sizeof scales / sizeof *scales)

void avs_melody_style_random(avs_melody_style *s, avs_rng *rng) {
  s->bpm = avs_rng_range(rng, 80, 150);
  s->root = (int)avs_rng_below(rng, 12);
  s->scale = (int)avs_rng_below(rng, N_SCALES);
}

static uint64_t mix64(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  h *= 0xff51afd7ed558ccdull;
  return h ^ (h >> 33);
}

static int pick_weighted(const float *w, int n, avs_rng *rng) {
  float sum = 0;
  for (int i = 0; i < n; i++) sum += w[i];
  float u = avs_rng_uniform(rng) * sum;
  for (int i = 0; i < n; i++) {
    if (u < w[i]) return i;
    u -= w[i];
  }
  return n - 1;
}

void avs_melody_random(avs_melody *m, const avs_instrument *ins, const avs_melody_style *style, float start,
                       float seconds, avs_rng *rng) {
  memset(m, 0, sizeof *m);
  m->style = *style;
  /* the pitches of the scale inside the instrument's range */
  int pitches[128], np = 0;
  const int *sc = scales[style->scale % N_SCALES];
  for (int p = ins->lo; p <= ins->hi; p++)
    for (int k = 1; k <= sc[0]; k++)
      if ((p - style->root + 120) % 12 == sc[k]) pitches[np++] = p;
  float beat = 60.0f / style->bpm;
  /* start in the middle half of the range */
  int idx = np / 4 + (int)avs_rng_below(rng, (uint32_t)(np / 2 + 1));
  float t = start;
  int phrase = 0, phrase_len = 4 + (int)avs_rng_below(rng, 5);
  uint64_t h = mix64(0x6d656c6f6479ull, (uint64_t)lrintf(style->bpm * 10));
  static const float step_w[] = {0.08f, 0.4f, 0.25f, 0.12f, 0.08f, 0.07f}; /* |step| 0..4, octave */
  while (t < seconds && m->n < AVS_MELODY_MAX_NOTES) {
    int li = pick_weighted(ins->beat_weight, AVS_N_BEATS, rng);
    float len = avs_beat_len[li] * beat;
    bool rest = avs_rng_uniform(rng) < 0.1f;
    if (++phrase >= phrase_len) { /* phrase break: a rest of one or two beats */
      phrase = 0;
      phrase_len = 4 + (int)avs_rng_below(rng, 5);
      if (avs_rng_uniform(rng) < 0.6f) {
        float r = beat * (1 + (float)avs_rng_below(rng, 2));
        h = mix64(h, 1000 + (uint64_t)lrintf(r / beat * 4));
        t += r;
        continue;
      }
    }
    if (rest) {
      h = mix64(h, 2000 + (uint64_t)li);
      t += len;
      continue;
    }
    int s = pick_weighted(step_w, 6, rng);
    int step = s == 5 ? sc[0] : s;
    if (avs_rng_uniform(rng) < 0.5f) step = -step;
    int ni = idx + step;
    if (ni < 0 || ni >= np) ni = idx - step; /* reflect at the range ends */
    if (ni < 0) ni = 0;
    if (ni >= np) ni = np - 1;
    idx = ni;
    avs_note *n = &m->note[m->n++];
    n->pitch = (uint8_t)pitches[idx];
    /* accents on the beat, a little random dynamics */
    float beat_pos = (t - start) / beat;
    int vel = 82 + (fabsf(beat_pos - roundf(beat_pos)) < 0.05f ? 12 : 0) + (int)avs_rng_below(rng, 17) - 8;
    n->velocity = (uint8_t)(vel > 127 ? 127 : vel);
    n->t_on = t;
    n->t_off = t + len * ins->legato;
    if (n->t_off > seconds) n->t_off = seconds;
    h = mix64(h, (uint64_t)n->pitch * 16 + (uint64_t)li);
    t += len;
  }
  m->fingerprint = h;
}

void avs_melody_describe(const avs_melody *m, char *buf, int size) {
  static const char *names[12] = {"C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"};
  int o = snprintf(buf, (size_t)size, "%.0fbpm", m->style.bpm);
  for (int i = 0; i < m->n && i < 16 && o < size - 8; i++)
    o += snprintf(buf + o, (size_t)(size - o), " %s%d", names[m->note[i].pitch % 12], m->note[i].pitch / 12 - 1);
  if (m->n > 16 && o < size - 5) snprintf(buf + o, (size_t)(size - o), " ...");
}
