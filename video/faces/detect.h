/* Multi-scale detection with an OpenCV cascade, as OpenCV 4.6's
 * CascadeClassifier::detectMultiScale does it, so that the boxes are the same:
 * the image is shrunk by powers of scale_factor (the window keeps its trained
 * size), each level gets its integral images, the window slides by 2 pixels
 * (1 from a shrink of 2 on; the next position is skipped when a window fails
 * the first stage), Haar windows are normalised by their standard deviation
 * (flat windows are refused), and the hits are grouped (video/faces/group.h,
 * eps 0.2) with min_neighbors and cut to the image.
 *
 *   avs_faces *d = NULL;
 *   avs_faces_new(cascade, &(avs_faces_params){AVS_FACES_DEFAULTS}, &d);
 *   const avs_face_rect *r; int n;
 *   avs_faces_detect(d, gray, w, h, w, &r, &n);   // per frame; r stays valid until the next call
 *   avs_faces_free(&d);
 *
 * Levels are shared among the OpenMP threads (avs_threads_set); scratch is
 * kept between calls, so frames of one size allocate nothing after the first. */
#ifndef AVS_VIDEO_FACES_DETECT_H
#define AVS_VIDEO_FACES_DETECT_H

#include <stdbool.h>
#include <stdint.h>

#include "video/faces/cascade.h"
#include "video/faces/group.h"

typedef struct {
  double scale_factor; /* > 1: each level is the previous one shrunk by this */
  int min_neighbors;   /* a group needs more hits than this; 0: raw hits, no grouping */
  int min_w, min_h;    /* smallest box; 0: no minimum */
  int max_w, max_h;    /* largest box; 0: the image */
} avs_faces_params;
#define AVS_FACES_DEFAULTS .scale_factor = 1.1, .min_neighbors = 3

typedef struct avs_faces avs_faces;

/* The cascade must outlive the detector. AVS_EINVAL for parameters out of range. */
int avs_faces_new(const avs_cascade *c, const avs_faces_params *p, avs_faces **out);
void avs_faces_free(avs_faces **d);
/* Boxes of the grey image (w x h, stride bytes per row) in *rects (owned by
 * d, valid until the next call), *n of them. AVS_ENOMEM, AVS_EINVAL. */
int avs_faces_detect(avs_faces *d, const uint8_t *gray, int w, int h, int stride, const avs_face_rect **rects,
                     int *n);
/* Haar cascades of stumps (the frontal-face default) are scanned eight
 * windows at a time where the CPU has AVX2 (on by default), with the same
 * results; off: one at a time (tests compare the two). True when the AVX2
 * scan is now in use. */
bool avs_faces_set_simd(avs_faces *d, bool on);

#endif
