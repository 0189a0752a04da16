/* OpenCV's boosted cascades (the XML files of CascadeClassifier, opencv-data's
 * haarcascades/ and lbpcascades/): stages of weak decision trees over Haar
 * features (weighted rectangles, upright or tilted 45 degrees) or
 * multi-block LBP features (a 3 x 3 grid of cells, 8-bit codes tested against
 * a 256-bit subset per node).
 *
 *   avs_cascade *c = NULL;
 *   if (avs_cascade_load("/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml", &c)) ...
 *   ... avs_faces_detect(c, ...) (video/faces/detect.h) ...
 *   avs_cascade_free(&c);
 *
 * Read as OpenCV 4.6 reads them: thresholds and leaves as float, each stage's
 * threshold lowered by 1e-5 (OpenCV's THRESHOLD_EPS). The old format
 * (type_id "opencv-haar-classifier") is refused. */
#ifndef AVS_VIDEO_FACES_CASCADE_H
#define AVS_VIDEO_FACES_CASCADE_H

#include <stdbool.h>
#include <stdint.h>

/* Debian's opencv-data puts the cascades here. */
#define AVS_CASCADE_DIR "/usr/share/opencv4"
#define AVS_CASCADE_DEFAULT AVS_CASCADE_DIR "/haarcascades/haarcascade_frontalface_default.xml"

typedef enum { AVS_CASCADE_HAAR = 0, AVS_CASCADE_LBP } avs_cascade_kind;

typedef struct {
  int x, y, w, h;
  float weight;
} avs_cascade_rect;

typedef struct {
  /* Haar: up to 3 weighted rectangles (weight 0: unused). LBP: rect[0] is the
   * top-left cell of the 3 x 3 grid. In window pixels. */
  avs_cascade_rect rect[3];
  bool tilted; /* Haar: rectangles turned 45 degrees (x, y is the top corner) */
} avs_cascade_feature;

typedef struct {
  int left, right;  /* > 0: next node of the same tree; <= 0: -(leaf index in the tree) */
  int feature;
  float threshold;  /* Haar: go left when the feature value is below it */
} avs_cascade_node;

typedef struct {
  int first_node, n_nodes;
  int first_leaf;   /* n_nodes + 1 leaves */
} avs_cascade_tree;

typedef struct {
  int first_tree, n_trees;
  float threshold;  /* the window passes when the sum of its trees' leaves is not below it */
} avs_cascade_stage;

typedef struct {
  avs_cascade_kind kind;
  int win_w, win_h;         /* the window the cascade was trained on */
  int n_stages, n_trees, n_nodes, n_features;
  avs_cascade_stage *stages;
  avs_cascade_tree *trees;
  avs_cascade_node *nodes;
  float *leaves;
  int32_t *subsets;         /* LBP: 8 words per node, bit c set: code c goes left */
  avs_cascade_feature *features;
  bool has_tilted;          /* some Haar feature is tilted */
  bool stumps;              /* every tree is a single node */
} avs_cascade;

/* AVS_ENOTFOUND/AVS_EIO for a file that cannot be read; AVS_EFORMAT for one
 * that is not XML or not an OpenCV cascade (the message says what is wrong);
 * AVS_EUNSUPPORTED for the old format or another feature type (HOG). */
int avs_cascade_load(const char *path, avs_cascade **out);
void avs_cascade_free(avs_cascade **c);
/* "HAAR" or "LBP". */
const char *avs_cascade_kind_name(avs_cascade_kind k);

#endif
