/* Shared between the generator's files; not part of the public API. */
#ifndef AVS_DATA_INTERNAL_H
#define AVS_DATA_INTERNAL_H

#include "data/generator/avdata.h"
#include "data/generator/fluid.h"
#include "data/generator/speech.h"

#define AVS_DATA_MAX_SOUNDFONTS 8

struct avs_data_gen {
  avs_data_config cfg;
  char *soundfont, *voices; /* owned copies */
  avs_fluid *fluid[AVS_DATA_MAX_SOUNDFONTS]; /* music: the soundfonts of cfg.soundfont, in order */
  char *soundfont_name[AVS_DATA_MAX_SOUNDFONTS];
  int n_fluid;
  avs_speaker *speakers;    /* speech */
  int n_speakers;
};

/* Independent random streams of one clip (changing the visuals never changes the audio). */
enum { AVS_STREAM_PLAN = 1, AVS_STREAM_VISUAL = 2, AVS_STREAM_AUDIO = 3 };
void avs_clip_rng(uint64_t seed, int stream, avs_rng *r);

int avs_music_plan(avs_data_gen *g, avs_rng *rng, avs_data_plan_t *p);
int avs_music_render(avs_data_gen *g, const avs_data_plan_t *p, avs_data_clip *c);
int avs_speech_plan(avs_data_gen *g, avs_rng *rng, avs_data_plan_t *p);
int avs_speech_render(avs_data_gen *g, const avs_data_plan_t *p, avs_data_clip *c);
int avs_actions_plan(avs_data_gen *g, avs_rng *rng, avs_data_plan_t *p);
int avs_actions_render(avs_data_gen *g, const avs_data_plan_t *p, avs_data_clip *c);

/* Allocates frames, rgb, mix/stems (when sample_rate > 0) and boxes for n objects. */
int avs_clip_alloc(avs_data_clip *c, const avs_data_config *cfg, const avs_data_plan_t *p, bool mouths);
/* Frame f shows time f/fps; its window is [f - 1/2, f + 1/2) / fps. */
float avs_frame_time(int f, int fps);
/* Per-frame RMS of x over each frame's window, divided by the largest (0..1). */
void avs_frame_loudness(const float *x, int64_t n, int sample_rate, int fps, int n_frames, float *out);
/* Per-frame onset response: 1 when an onset falls in the frame's window,
 * decaying as exp(-dt / tau) after it. last_onset[f] (may be NULL) is the index
 * of the latest onset at or before the frame, -1 before the first. */
void avs_onset_envelope(const float *onsets, int n_on, int fps, int n_frames, float tau, float *env,
                        int *last_onset);
/* RMS over the active part (50 ms blocks above -30 dB of the loudest). */
float avs_active_rms(const float *x, int64_t n, int sample_rate);
/* Scales each stem to its gain (dB re. 0.1 active RMS), then all together so
 * the mixture's peak is at most 0.9, quantizes each stem to 16 bits and sums
 * the integers into mix: the mixture is exactly the sum of the stems. Scales
 * stems[] in place to the quantized values / 32768. */
void avs_mix_stems(float **stems, const float *gain_db, int n_src, int64_t n, int sample_rate, int16_t **out,
                   int16_t *mix);
/* A scene's static stage: *bg = avs_scene_backdrop(w, h, clutter, contrast_lo,
 * contrast_hi, rng), then *light (w*h*3) = avs_light_random(strength), drawn
 * from rng in that order. AVS_ENOMEM; the caller frees both either way. */
int avs_scene_stage(int w, int h, int clutter, float contrast_lo, float contrast_hi, float strength, avs_rng *rng,
                    float **bg, float **light);
/* frames -> rgb bytes (rounded). */
void avs_clip_quantize(avs_data_clip *c);

#endif
