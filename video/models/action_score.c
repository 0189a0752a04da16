/* Top-k accuracy and confusion counts (see action_score.h). */
#include "video/models/action_score.h"

#include <math.h>
#include <stdlib.h>

#include "av/status.h"

int avs_action_score_init(avs_action_score *s, int classes) {
  *s = (avs_action_score){.classes = classes};
  if (classes < 1) return avs_seterr(AVS_EINVAL, "scores need at least one class");
  s->confusion = calloc((size_t)classes * classes, sizeof *s->confusion);
  return s->confusion ? AVS_OK : avs_seterr(AVS_ENOMEM, "out of memory");
}

void avs_action_score_free(avs_action_score *s) {
  free(s->confusion);
  s->confusion = NULL;
}

void avs_action_score_add(avs_action_score *s, const float *logits, int truth) {
  int c = s->classes, pred = 0, rank = 0; /* rank: classes scored above the truth */
  for (int k = 0; k < c; k++) {
    if (logits[k] > logits[pred]) pred = k;
    if (logits[k] > logits[truth] || (logits[k] == logits[truth] && k < truth)) rank++;
  }
  double max = logits[pred], sum = 0;
  for (int k = 0; k < c; k++) sum += exp((double)logits[k] - max);
  s->loss_sum += log(sum) + max - logits[truth];
  s->n++;
  s->top1 += rank == 0;
  s->top5 += rank < 5;
  s->confusion[(int64_t)truth * c + pred]++;
}

static double frac(int64_t a, int64_t b) { return b ? (double)a / (double)b : NAN; }
double avs_action_score_top1(const avs_action_score *s) { return frac(s->top1, s->n); }
double avs_action_score_top5(const avs_action_score *s) { return frac(s->top5, s->n); }
double avs_action_score_loss(const avs_action_score *s) { return s->n ? s->loss_sum / (double)s->n : NAN; }

double avs_action_score_recall(const avs_action_score *s, int c) {
  int64_t total = 0;
  for (int k = 0; k < s->classes; k++) total += s->confusion[(int64_t)c * s->classes + k];
  return frac(s->confusion[(int64_t)c * s->classes + c], total);
}
