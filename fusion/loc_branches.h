/* What the localizers share (fusion/loc_models.h): their configuration's
 * checks, geometry and grid, and the two ResNet-18 branches. */
#ifndef AVS_FUSION_LOC_BRANCHES_H
#define AVS_FUSION_LOC_BRANCHES_H

#include "fusion/loc_models.h"
#include "fusion/localization.h"
#include "nn/resnet18.h"

/* The image branch: "imgnet." ResNet-18, 3 channels, layer4 with stride 1 when stride16. */
avs_resnet18_spec avs_loc_image_spec(const avs_loc_cfg *c, bool stride16);
/* The audio branch: "audnet." ResNet-18 with a 1-channel conv1, layer4 with stride 1 when stride16. */
avs_resnet18_spec avs_loc_audio_spec(const avs_loc_cfg *c, bool stride16);

/* AVS_EINVAL naming the bad value. */
int avs_loc_cfg_check(const avs_loc_cfg *c, const char *arch);
void avs_loc_cfg_geometry(const avs_loc_cfg *c, avs_loc_geometry *g);
/* The image map's side for an image of c->size: stride 16 or 32. */
int avs_loc_grid_side(const avs_loc_cfg *c, bool stride16);

/* images (N, H, W, 3) -> the image trunk's map (N, h, w, 8 width). */
avs_tensor *avs_loc_image_map(avs_ctx *ctx, const avs_params *p, const avs_loc_cfg *c, bool stride16,
                              avs_tensor *images);
/* spec (N, bins, time, 1) -> the audio trunk max-pooled over (bins, time): (N, 8 audio_width). */
avs_tensor *avs_loc_audio_vector(avs_ctx *ctx, const avs_params *p, const avs_loc_cfg *c, bool stride16,
                                 avs_tensor *spec);

/* cos[n, m, l] = <img (N, L, D)[n, l], aud (M, D)[m]>: every image with every audio -> (N, M, L). */
avs_tensor *avs_loc_all_pairs(avs_ctx *ctx, avs_tensor *img, avs_tensor *aud);
/* The same for image i with audio i only -> (N, L). */
avs_tensor *avs_loc_own_pairs(avs_ctx *ctx, avs_tensor *img, avs_tensor *aud);
/* Min-max normalisation of each row of x (rows, n) in place (a constant row becomes 0). */
void avs_loc_normalize_rows(float *x, int64_t rows, int64_t n);

#endif
