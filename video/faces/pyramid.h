/* The image operations a cascade scan needs, bit-exact with OpenCV 4.6 so that
 * the same windows pass: grey from RGB (cvtColor RGB2GRAY), bilinear shrink
 * (resize INTER_LINEAR_EXACT: 8-bit fixed-point weights) and the integral
 * images (sum, sum of squares, and the 45-degree "tilted" sum of Haar's
 * rotated features). Integrals are uint32 and wrap: differences over a window
 * are exact as long as the window's own sum fits, whatever the image size. */
#ifndef AVS_VIDEO_FACES_PYRAMID_H
#define AVS_VIDEO_FACES_PYRAMID_H

#include <stddef.h>
#include <stdint.h>

/* n pixels of RGB24 to grey: (4899 R + 9617 G + 1868 B + 8192) >> 14. */
void avs_faces_gray(const uint8_t *rgb, int64_t n, uint8_t *gray);

/* Scratch for avs_faces_resize: 2 * dw uint16 rows, dw + dh ints, 2 * dw uint16 weights. */
size_t avs_faces_resize_scratch(int dw, int dh);
/* src (sw x sh, stride sstride) shrunk or copied to dst (dw x dh, packed). */
void avs_faces_resize(const uint8_t *src, int sw, int sh, int sstride, uint8_t *dst, int dw, int dh, void *scratch);

/* Integral images of img (w x h, packed) into (w + 1) x (h + 1) planes with
 * stride elements per row: I(X, Y) = sum of img over x < X, y < Y; sq the same
 * over squares (may be NULL); tilted (may be NULL) T(X, Y) = sum over y < Y and
 * |x - X + 1| <= Y - y - 1. Tilted needs scratch of 2 * (w + h) uint32. */
void avs_faces_integral(const uint8_t *img, int w, int h, int stride, uint32_t *sum, uint32_t *sq, uint32_t *tilted,
                        uint32_t *scratch);

#endif
