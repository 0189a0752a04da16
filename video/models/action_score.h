/* Scores of a classifier over labelled clips: top-1 and top-5 accuracy, the
 * confusion matrix (rows: true class, columns: predicted class) and per-class
 * recall. Ties in the logits rank the lower class index first. */
#ifndef AVS_MODELS_ACTION_SCORE_H
#define AVS_MODELS_ACTION_SCORE_H

#include <stdint.h>

typedef struct {
  int classes;
  int64_t n, top1, top5;
  int64_t *confusion; /* classes x classes, [truth * classes + predicted] */
  double loss_sum;    /* sum of cross-entropies (natural log) */
} avs_action_score;

int avs_action_score_init(avs_action_score *s, int classes);
void avs_action_score_free(avs_action_score *s);
/* One clip: its logits (classes values) and true class. */
void avs_action_score_add(avs_action_score *s, const float *logits, int truth);
double avs_action_score_top1(const avs_action_score *s);
double avs_action_score_top5(const avs_action_score *s); /* top-min(5, classes) */
double avs_action_score_loss(const avs_action_score *s); /* mean cross-entropy */
/* Fraction of class c's clips predicted as c (NaN when the class has none). */
double avs_action_score_recall(const avs_action_score *s, int c);

#endif
