/* Parity of C3D, R3D-18, MC3-18 and R(2+1)D-18 (video/models/) with PyTorch at
 * hashed random weights: eval logits and train-step gradients. Cases in
 * tests/parity/gen_action_video.py; tolerances in tests/action/action_check.h. */
#include "tests/action/action_check.h"

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  return ac_run(argv[1]);
}
