#include "video/colormap.h"

#include <math.h>
#include <string.h>

#include "av/status.h"

int avs_cmap_parse(const char *name, avs_cmap *out) {
  static const char *names[] = {"jet", "inferno", "gray"};
  for (int i = 0; name && i < 3; i++)
    if (!strcmp(name, names[i])) {
      *out = (avs_cmap)i;
      return 0;
    }
  return avs_seterr(AVS_EINVAL, "unknown colour map '%s' (known: jet, inferno, gray)", name ? name : "");
}

static float clamp01(float x) { return x < 0 ? 0 : x > 1 ? 1 : x; }
static uint8_t u8(float x) { return (uint8_t)(clamp01(x) * 255.0f + 0.5f); }

/* Inferno at x = 0, 1/8, ..., 1 (sRGB). */
static const uint8_t inferno[9][3] = {
    {0, 0, 4},      {31, 12, 72},   {85, 15, 109},  {136, 34, 106}, {186, 54, 85},
    {227, 89, 51},  {249, 140, 10}, {249, 201, 50}, {252, 255, 164},
};

void avs_cmap_rgb(avs_cmap m, float x, uint8_t rgb[3]) {
  x = isnan(x) ? 0 : clamp01(x);
  switch (m) {
  case AVS_CMAP_JET:
    rgb[0] = u8(1.5f - fabsf(4 * x - 3));
    rgb[1] = u8(1.5f - fabsf(4 * x - 2));
    rgb[2] = u8(1.5f - fabsf(4 * x - 1));
    return;
  case AVS_CMAP_INFERNO: {
    float s = x * 8;
    int i = (int)s;
    if (i > 7) i = 7;
    float f = s - i;
    for (int c = 0; c < 3; c++) rgb[c] = (uint8_t)(inferno[i][c] + f * (inferno[i + 1][c] - inferno[i][c]) + 0.5f);
    return;
  }
  case AVS_CMAP_GRAY:
  default:
    rgb[0] = rgb[1] = rgb[2] = u8(x);
    return;
  }
}
