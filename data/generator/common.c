/* Helpers shared by the kinds: clip buffers, per-frame envelopes, mixing, the static stage. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "av/status.h"
#include "data/generator/internal.h"

int avs_clip_alloc(avs_data_clip *c, const avs_data_config *cfg, const avs_data_plan_t *p, bool mouths) {
  c->kind = cfg->kind;
  c->seed = p->seed;
  c->width = cfg->width;
  c->height = cfg->height;
  c->fps = cfg->fps;
  c->n_frames = (int)lrintf(cfg->seconds * cfg->fps);
  size_t npx = (size_t)c->n_frames * c->width * c->height * 3;
  c->frames = malloc(npx * sizeof(float));
  c->rgb = malloc(npx);
  if (!c->frames || !c->rgb) return avs_seterr(AVS_ENOMEM, "out of memory for %d frames", c->n_frames);
  if (cfg->kind != AVS_DATA_ACTIONS) {
    c->sample_rate = cfg->sample_rate;
    c->n_samples = (int64_t)lrint((double)cfg->seconds * cfg->sample_rate);
    c->mix = calloc((size_t)c->n_samples, sizeof(int16_t));
    if (!c->mix) return avs_seterr(AVS_ENOMEM, "out of memory");
  }
  c->n = p->n;
  for (int i = 0; i < p->n; i++) {
    avs_data_object *o = &c->obj[i];
    o->class_id = p->src[i].class_id;
    o->sounding = p->src[i].sounding;
    o->gain_db = p->src[i].gain_db;
    o->box = calloc((size_t)c->n_frames, sizeof(avs_rect));
    if (!o->box) return avs_seterr(AVS_ENOMEM, "out of memory");
    if (mouths && !(o->mouth = calloc((size_t)c->n_frames, sizeof(avs_rect))))
      return avs_seterr(AVS_ENOMEM, "out of memory");
    if (o->sounding && c->n_samples && !(o->stem = calloc((size_t)c->n_samples, sizeof(int16_t))))
      return avs_seterr(AVS_ENOMEM, "out of memory");
  }
  return AVS_OK;
}

float avs_frame_time(int f, int fps) { return (float)f / (float)fps; }

void avs_frame_loudness(const float *x, int64_t n, int sample_rate, int fps, int n_frames, float *out) {
  float top = 0;
  for (int f = 0; f < n_frames; f++) {
    int64_t a = (int64_t)((f - 0.5) * sample_rate / fps), b = (int64_t)((f + 0.5) * sample_rate / fps);
    if (a < 0) a = 0;
    if (b > n) b = n;
    double e = 0;
    for (int64_t i = a; i < b; i++) e += (double)x[i] * x[i];
    out[f] = b > a ? (float)sqrt(e / (double)(b - a)) : 0;
    if (out[f] > top) top = out[f];
  }
  for (int f = 0; f < n_frames; f++) out[f] = top > 0 ? out[f] / top : 0;
}

void avs_onset_envelope(const float *onsets, int n_on, int fps, int n_frames, float tau, float *env,
                        int *last_onset) {
  for (int f = 0; f < n_frames; f++) {
    float w0 = (f - 0.5f) / fps, w1 = (f + 0.5f) / fps, e = 0;
    int last = -1;
    for (int k = 0; k < n_on; k++) {
      float t = onsets[k], v;
      if (t >= w1) continue;
      last = k;
      v = t >= w0 ? 1.0f : expf(-(w0 - t) / tau);
      if (v > e) e = v;
    }
    env[f] = e;
    if (last_onset) last_onset[f] = last;
  }
}

float avs_active_rms(const float *x, int64_t n, int sample_rate) {
  int64_t blk = sample_rate / 20;
  if (blk < 1) blk = 1;
  int64_t nb = (n + blk - 1) / blk;
  double top = 0, sum = 0;
  int64_t cnt = 0;
  for (int pass = 0; pass < 2; pass++)
    for (int64_t b = 0; b < nb; b++) {
      int64_t a = b * blk, e = a + blk < n ? a + blk : n;
      double s = 0;
      for (int64_t i = a; i < e; i++) s += (double)x[i] * x[i];
      s /= (double)(e - a);
      if (pass == 0) {
        if (s > top) top = s;
      } else if (s >= top * 1e-3) {
        sum += s * (double)(e - a);
        cnt += e - a;
      }
    }
  return cnt ? (float)sqrt(sum / (double)cnt) : 0;
}

void avs_mix_stems(float **stems, const float *gain_db, int n_src, int64_t n, int sample_rate, int16_t **out,
                   int16_t *mix) {
  for (int k = 0; k < n_src; k++) {
    float r = avs_active_rms(stems[k], n, sample_rate);
    float g = r > 0 ? 0.1f * powf(10.0f, gain_db[k] / 20.0f) / r : 0;
    for (int64_t i = 0; i < n; i++) stems[k][i] *= g;
  }
  float peak = 0;
  for (int64_t i = 0; i < n; i++) {
    float s = 0;
    for (int k = 0; k < n_src; k++) s += stems[k][i];
    if (fabsf(s) > peak) peak = fabsf(s);
  }
  for (int k = 0; k < n_src; k++) {
    float g = peak > 0.9f ? 0.9f / peak : 1.0f;
    for (int64_t i = 0; i < n; i++) {
      long q = lrintf(stems[k][i] * g * 32768.0f);
      q = q > 32767 ? 32767 : q < -32768 ? -32768 : q;
      out[k][i] = (int16_t)q;
      stems[k][i] = (float)q / 32768.0f;
    }
  }
  for (int64_t i = 0; i < n; i++) {
    int s = 0;
    for (int k = 0; k < n_src; k++) s += out[k][i];
    mix[i] = (int16_t)(s > 32767 ? 32767 : s < -32768 ? -32768 : s); /* cannot clip: peak <= 0.9 */
  }
}

void avs_clip_quantize(avs_data_clip *c) {
  size_t npx = (size_t)c->n_frames * c->width * c->height * 3;
  for (size_t i = 0; i < npx; i++) {
    float v = c->frames[i] * 255.0f + 0.5f;
    c->rgb[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
  }
}

int avs_scene_stage(int w, int h, int clutter, float contrast_lo, float contrast_hi, float strength, avs_rng *rng,
                    float **bg, float **light) {
  *light = NULL;
  if (!(*bg = avs_scene_backdrop(w, h, clutter, contrast_lo, contrast_hi, rng)) ||
      !(*light = malloc((size_t)w * h * 3 * sizeof(float))))
    return avs_seterr(AVS_ENOMEM, "out of memory");
  avs_light_random(*light, w, h, rng, strength);
  return AVS_OK;
}
