/* The competition of a window's masks (fusion/separate.h,
 * avs_sep_compete_masks): each mask scaled by its share of the squared masks,
 * m_j * m_j^2 / sum_k m_k^2, computed here independently in double.
 *  - one source keeps its mask exactly;
 *  - hand values: (0.9, 0.3) -> (0.81, 0.03); (1, 1) -> (0.5, 0.5); all-zero stays zero;
 *  - random masks of 3 sources: the formula within 1e-6, sums <= 1, each mask
 *    at most its own value, the loudest claim stays the loudest;
 *  - the rule's parsing: compete, independent, anything else AVS_EINVAL. */
#include <math.h>

#include "av/rng.h"
#include "av/status.h"
#include "fusion/separate.h"
#include "tests/harness.h"

#define PLANE 1000

int main(void) {
  float one[4] = {0.0f, 0.2f, 0.7f, 1.0f}, keep[4] = {0.0f, 0.2f, 0.7f, 1.0f};
  avs_sep_compete_masks(one, 1, 4);
  tst_close("one source keeps its mask", one, keep, 4, 0, 0);

  float two[6] = {0.9f, 1.0f, 0.0f, 0.3f, 1.0f, 0.0f}; /* source 0's 3 bins, then source 1's */
  const float want2[6] = {0.81f, 0.5f, 0.0f, 0.03f, 0.5f, 0.0f};
  avs_sep_compete_masks(two, 2, 3);
  tst_close("two sources by hand", two, want2, 6, 1e-6f, 0);

  static float m[3 * PLANE], orig[3 * PLANE], want[3 * PLANE];
  avs_rng rng;
  avs_rng_seed(&rng, 5);
  for (int i = 0; i < 3 * PLANE; i++) m[i] = orig[i] = avs_rng_uniform(&rng);
  for (int e = 0; e < PLANE; e++) {
    double sq = 0;
    for (int j = 0; j < 3; j++) sq += (double)orig[j * PLANE + e] * orig[j * PLANE + e];
    for (int j = 0; j < 3; j++) want[j * PLANE + e] = (float)pow(orig[j * PLANE + e], 3) / (float)sq;
  }
  avs_sep_compete_masks(m, 3, PLANE);
  tst_close("three random sources: m_j^3 / sum m_k^2", m, want, 3 * PLANE, 1e-6f, 0);
  int bad_sum = 0, grew = 0, lost_lead = 0;
  for (int e = 0; e < PLANE; e++) {
    float sum = 0;
    int a = 0, b = 0;
    for (int j = 0; j < 3; j++) {
      sum += m[j * PLANE + e];
      grew += m[j * PLANE + e] > orig[j * PLANE + e] + 1e-7f;
      if (orig[j * PLANE + e] > orig[a * PLANE + e]) a = j;
      if (m[j * PLANE + e] > m[b * PLANE + e]) b = j;
    }
    bad_sum += sum > 1.0f + 1e-6f;
    lost_lead += a != b;
  }
  tst_true(bad_sum == 0 && grew == 0 && lost_lead == 0,
           "competing masks add up to <= 1 (%d bins over), never grow (%d), keep the leader (%d bins lost it)", bad_sum,
           grew, lost_lead);

  avs_sep_mask_rule r = {0};
  tst_true(avs_sep_mask_rule_parse("compete", true, &r) == AVS_OK && !r.independent && r.binary, "parse compete");
  tst_true(avs_sep_mask_rule_parse("independent", false, &r) == AVS_OK && r.independent && !r.binary,
           "parse independent");
  tst_true(avs_sep_mask_rule_parse("soft", false, &r) == AVS_EINVAL, "parse 'soft': AVS_EINVAL (%s)", avs_errmsg());
  return tst_finish();
}
