/* The localization kind (see localization.h): model files, the audio input,
 * the eval-mode forward and the whole frame -> heatmap path. */
#include "fusion/localization.h"

#include <math.h>
#include <stdlib.h>

#include "audio/spectrogram.h"
#include "av/ops.h"
#include "av/status.h"
#include "nn/fold.h"

int avs_loc_model_load(const char *path, const char *want_arch, avs_model **out) {
  return avs_model_load(path, AVS_KIND_LOCALIZATION, want_arch, NULL, out);
}

void avs_loc_model_geometry(const avs_model *m, avs_loc_geometry *g) {
  avs_loc_task_of(m->arch)->geometry(m->cfg, g);
}

int avs_loc_audio_input(const avs_loc_geometry *g, const float *window, float *spec) {
  avs_psd *s = NULL;
  int rc = avs_psd_new(g->n_fft, g->hop, g->rate, &s);
  if (!rc && avs_psd_segments(s, g->samples) != g->time)
    rc = avs_seterr(AVS_EINVAL, "localization: %d samples give %lld segments, not %d", g->samples,
                    (long long)avs_psd_segments(s, g->samples), g->time);
  if (!rc) rc = avs_psd_forward(s, window, g->samples, spec);
  /* log(S + 1e-7), then Normalize(mean 0, std 12) as the loaders */
  for (int64_t i = 0; !rc && i < (int64_t)g->bins * g->time; i++) spec[i] = logf(spec[i] + 1e-7f) / 12.0f;
  avs_psd_free(&s);
  return rc;
}

void avs_loc_window_at(const float *wave, int64_t n, int64_t centre, int samples, float *out) {
  int64_t s0 = centre - samples / 2;
  for (int i = 0; i < samples; i++) out[i] = s0 + i >= 0 && s0 + i < n ? wave[s0 + i] : 0.0f;
}

avs_tensor *avs_loc_model_forward(avs_ctx *ctx, const avs_model *m, avs_tensor *images, avs_tensor *spec) {
  if (!images || !spec) return NULL;
  struct avs_fold_cache *prev = avs_model_select_fold(ctx, m);
  avs_tensor *y = avs_loc_task_of(m->arch)->heatmap(ctx, &m->params, m->cfg, images, spec);
  avs_ctx_swap_fold(ctx, prev);
  return y;
}

/* map (h, w) -> out (H, W), bilinear with half-pixel centres (cv2.INTER_LINEAR). */
static void resize_map(const float *map, int h, int w, float *out, int oh, int ow) {
  for (int y = 0; y < oh; y++) {
    float sy = ((float)y + 0.5f) * (float)h / (float)oh - 0.5f;
    sy = sy < 0 ? 0 : sy > h - 1 ? (float)(h - 1) : sy;
    int y0 = (int)sy, y1 = y0 + 1 < h ? y0 + 1 : y0;
    float fy = sy - (float)y0;
    for (int x = 0; x < ow; x++) {
      float sx = ((float)x + 0.5f) * (float)w / (float)ow - 0.5f;
      sx = sx < 0 ? 0 : sx > w - 1 ? (float)(w - 1) : sx;
      int x0 = (int)sx, x1 = x0 + 1 < w ? x0 + 1 : x0;
      float fx = sx - (float)x0;
      float top = map[y0 * w + x0] * (1 - fx) + map[y0 * w + x1] * fx;
      float bot = map[y1 * w + x0] * (1 - fx) + map[y1 * w + x1] * fx;
      out[y * ow + x] = top * (1 - fy) + bot * fy;
    }
  }
}

void avs_loc_map_to_frame(const float *map, int h, int w, float *out, int ow, int oh) {
  resize_map(map, h, w, out, oh, ow);
  int64_t n = (int64_t)ow * oh;
  float lo = out[0], hi = out[0];
  for (int64_t i = 1; i < n; i++) lo = out[i] < lo ? out[i] : lo, hi = out[i] > hi ? out[i] : hi;
  for (int64_t i = 0; i < n; i++) out[i] = hi > lo ? (out[i] - lo) / (hi - lo) : 0.0f;
}

int avs_loc_heatmaps(avs_ctx *ctx, const avs_model *m, int n, const avs_image *const *frames,
                     const float *const *windows, float *const *heat) {
  if (n < 1) return avs_seterr(AVS_EINVAL, "localization: no frames");
  avs_loc_geometry g;
  avs_loc_model_geometry(m, &g);
  avs_norm norm;
  int rc = avs_norm_preset(g.norm, &norm);
  if (rc) return rc;
  bool was_train = avs_ctx_train(ctx);
  avs_ctx_set_train(ctx, false);
  avs_tensor *images = avs_ctx_tensor(ctx, 4, AVS_SHAPE(n, g.height, g.width, 3));
  avs_tensor *spec = avs_ctx_tensor(ctx, 4, AVS_SHAPE(n, g.bins, g.time, 1));
  if (!images || !spec) rc = avs_errcode() ? avs_errcode() : avs_seterr(AVS_ENOMEM, "out of memory");
  for (int i = 0; !rc && i < n; i++) {
    const avs_image *f = frames[i];
    float box[4] = {0, 0, (float)f->w, (float)f->h};
    avs_image_crop_resize(f, box, g.width, g.height, &norm, (float *)images->data + (size_t)i * g.height * g.width * 3);
    rc = avs_loc_audio_input(&g, windows[i], (float *)spec->data + (size_t)i * g.bins * g.time);
  }
  avs_tensor *maps = rc ? NULL : avs_loc_model_forward(ctx, m, images, spec);
  if (!rc && !maps) rc = avs_errcode();
  for (int i = 0; !rc && i < n; i++) {
    int h = (int)maps->shape[1], w = (int)maps->shape[2];
    avs_loc_map_to_frame((const float *)maps->data + (size_t)i * h * w, h, w, heat[i], frames[i]->w, frames[i]->h);
  }
  avs_ctx_set_train(ctx, was_train);
  return rc;
}
