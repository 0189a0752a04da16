/* Parity of the ResNet-18 based action models (single frame, late and early
 * fusion, CNN+LSTM, two-stream; video/models/) with PyTorch at hashed random
 * weights: eval logits and train-step gradients. Cases in
 * tests/parity/gen_action_frames.py; tolerances in tests/action/action_check.h. */
#include "tests/action/action_check.h"

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  return ac_run(argv[1]);
}
