/* Parity of the action models (video/models/) with PyTorch at hashed random
 * weights, eval logits and train-step gradients; the cases and tolerances are
 * described in tests/parity/gen_action_models.py and tests/action/action_check.h. */
#include "tests/action/action_check.h"

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  return ac_run(argv[1]);
}
