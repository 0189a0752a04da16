/* Stand-ins for the localizers (fusion/localization.h) until branch main's
 * LVS / EZ-VSL land and are merged here: aveval loc links and scores its
 * baselines; a model file is refused. Deleted by that merge. */
#include "av/status.h"
#include "fusion/localization.h"

int avs_loc_model_load(const char *path, const char *want_arch, avs_model **out) {
  (void)want_arch;
  *out = NULL;
  return avs_seterr(AVS_EUNSUPPORTED, "no localization models in this build yet (%s)", path);
}

void avs_loc_model_geometry(const avs_model *m, avs_loc_geometry *g) {
  (void)m;
  *g = (avs_loc_geometry){0};
}

int avs_loc_heatmaps(avs_ctx *ctx, const avs_model *m, int n, const avs_image *const *frames,
                     const float *const *windows, float *const *heat) {
  (void)ctx, (void)m, (void)n, (void)frames, (void)windows, (void)heat;
  return avs_seterr(AVS_EUNSUPPORTED, "no localization models in this build yet");
}
