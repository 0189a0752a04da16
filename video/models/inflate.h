/* Inflation of 2-D checkpoints into 3-D networks (Carreira & Zisserman,
 * "Quo Vadis, Action Recognition?", CVPR 2017): every k x k kernel is repeated
 * over the kt frames of the 3-D kernel and divided by kt, so that a clip of
 * identical frames ("a boring video") gives the 2-D network's responses;
 * batch norm, linear layers and everything else is copied. tools/inflate.py
 * does the same offline (and renames torchvision GoogLeNet into I3D). */
#ifndef AVS_MODELS_INFLATE_H
#define AVS_MODELS_INFLATE_H

#include <stdbool.h>

#include "av/params.h"

/* Fills every tensor declared in dst (a 3-D architecture's table) from the
 * tensor of the same name in src:
 *   - same shape: copied;
 *   - dst (O, I, kt, kh, kw), src (O, I, kh, kw): inflated (repeated / kt);
 *   - dst (O, I, 1, 1, 1), src (O, I): a linear layer becomes a 1x1x1 conv.
 * A dst tensor missing from src is an error unless allow_new (then it keeps
 * its declared value: a non-local block, say, starts as the identity); a src
 * tensor that dst does not declare is always an error. Names the first
 * mismatch; dst is only written when everything fits. *n_new (if not NULL)
 * receives the number of tensors src lacked. */
int avs_inflate_2d_to_3d(avs_params *dst, const avs_st *src, bool allow_new, int *n_new);

/* The same from a safetensors file (a 2-D model: torchvision's resnet18
 * converted with tools/pth2st.py, say). */
int avs_inflate_file(avs_params *dst, const char *path_2d, bool allow_new, int *n_new);

#endif
