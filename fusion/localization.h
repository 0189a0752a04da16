/* The localization kind of the model layer (nn/model.h): where in the picture
 * the sound comes from. A localization model sees one video frame and the
 * audio window centred on that frame's time, and gives a map over the frame
 * (coarse, the visual branch's grid) that is high where the sound comes from.
 *
 * Every localizer here follows the two-branch shape of the papers: an image
 * branch (ResNet-18 giving a spatial map of features) and an audio branch (a
 * 1-channel ResNet-18 over the log spectrogram, max-pooled to one vector),
 * compared location by location. They differ in the head, the training
 * objective and the test-time map (fusion/lvs.h, fusion/ezvsl.h, ...).
 *
 * Audio input (LVS and EZ-VSL's loaders): scipy.signal.spectrogram of the
 * window (nperseg n_fft, noverlap n_fft - hop, Tukey 0.25 window, mean removed
 * per segment, density scaling) -> log(S + 1e-7) / 12 (Normalize(0, 12)),
 * laid out (bins, time). Image input: the frame resized to height x width,
 * normalised as `norm` (video/preprocess.h). */
#ifndef AVS_FUSION_LOCALIZATION_H
#define AVS_FUSION_LOCALIZATION_H

#include <stdbool.h>
#include <stdint.h>

#include "av/ctx.h"
#include "nn/model.h"
#include "video/image.h"

typedef struct {
  int rate, samples;     /* audio window: samples at rate Hz, centred on the frame */
  int n_fft, hop;        /* spectrogram segment and step */
  int bins, time;        /* n_fft / 2 + 1 bins x segments per window */
  int height, width;     /* image input */
  const char *norm;      /* video/preprocess.h preset ("imagenet") */
} avs_loc_geometry;

/* What a training batch knows of where its objects are, on the map's grid
 * (N, h, w) each, as the share of each cell their boxes cover (0 everywhere
 * for a pair without such objects): the union of the sounding objects' boxes
 * and the union of the silent ones' (in view, making no sound). */
typedef struct {
  const float *sounding;
  const float *silent; /* NULL: not known */
} avs_loc_targets;

/* The localization kind's descriptor (avs_arch.task). Tensors are
 * channels-last: images (N, H, W, 3), spectrograms (N, bins, time, 1). */
typedef struct {
  void (*geometry)(const void *cfg, avs_loc_geometry *g);
  /* The test-time map (N, h, w) of each image with its own audio. */
  avs_tensor *(*heatmap)(avs_ctx *ctx, const avs_params *p, const void *cfg, avs_tensor *images, avs_tensor *spec);
  /* The training objective (a scalar) of a batch of N image-audio pairs
   * (pair i is image i with audio i; the other pairs are negatives). gt: the
   * batch's boxes on the map's grid; NULL unless the task uses_boxes. */
  avs_tensor *(*loss)(avs_ctx *ctx, const avs_params *p, const void *cfg, avs_tensor *images, avs_tensor *spec,
                      const avs_loc_targets *gt);
  /* The map's grid for an image of the model's size: *h x *w. */
  void (*grid)(const void *cfg, int *h, int *w);
  bool uses_boxes; /* the objective reads gt (it still trains on pairs without boxes) */
} avs_loc_task;

static inline const avs_loc_task *avs_loc_task_of(const avs_arch *a) { return a->task; }

/* A localization model file; want_arch NULL accepts any localization architecture. */
int avs_loc_model_load(const char *path, const char *want_arch, avs_model **out);
void avs_loc_model_geometry(const avs_model *m, avs_loc_geometry *g);

/* One window of g->samples mono samples at g->rate -> the audio input
 * (g->bins x g->time floats, row-major (bins, time)). */
int avs_loc_audio_input(const avs_loc_geometry *g, const float *window, float *spec);

/* The window of `samples` samples of wave (n samples) centred on sample
 * `centre`, zero past either end. */
void avs_loc_window_at(const float *wave, int64_t n, int64_t centre, int samples, float *out);

/* Eval-mode maps (N, h, w): images (N, H, W, 3) normalised, spec (N, bins, time, 1). */
avs_tensor *avs_loc_model_forward(avs_ctx *ctx, const avs_model *m, avs_tensor *images, avs_tensor *spec);

/* A map (h, w) on the frame: resized to ow x oh (bilinear, half-pixel
 * centres, as cv2.INTER_LINEAR) and min-max normalised to [0, 1] (a
 * constant map gives 0 everywhere). */
void avs_loc_map_to_frame(const float *map, int h, int w, float *out, int ow, int oh);

/* The whole test-time path for n frames: frames[i] (any size, RGB 0..255 as
 * video/image.h holds them) with the audio window windows[i] (g.samples
 * samples at g.rate) -> heat[i], frames[i]'s width x height floats: the map
 * on the frame (avs_loc_map_to_frame). */
int avs_loc_heatmaps(avs_ctx *ctx, const avs_model *m, int n, const avs_image *const *frames,
                     const float *const *windows, float *const *heat);

#endif
