/* Finite-difference gradient checks for backward kernels.
 *
 * The op under test runs in float32 (as in use); the check is carried out in
 * double: the scalar L = sum_i y_i * r_i (r a fixed random projection) is
 * accumulated in double, dL/dx is estimated by central differences
 * (L(x+h) - L(x-h)) / 2h per element, and compared with the analytic gradient
 * from avs_backward_from(y, r). With float32 forward values the estimate is
 * good to about 1e-3 relative, hence the default tolerance below. */
#ifndef AVS_GRADCHECK_H
#define AVS_GRADCHECK_H

#include "tests/harness.h"

/* Builds the op's output from the inputs (the tensors under test are among them). */
typedef avs_tensor *(*gc_forward_fn)(avs_ctx *ctx, avs_tensor **in, void *arg);

typedef struct {
  double h;         /* step; 0 means 1e-2 */
  double atol, rtol; /* 0 means 2e-3 and 2e-2 */
  int max_checks;   /* elements checked per input (spread evenly); 0 means 64 */
} gc_opts;

/* Checks d(sum y*r)/d(in[i]) for every in[i] with requires_grad. The inputs must
 * be parameter tensors (avs_tensor_new). Returns true if all match. */
bool gc_check(const char *name, gc_forward_fn fwd, avs_tensor **in, int n_in, void *arg, gc_opts opts);
/* Fills t with U(lo, hi) from a fixed generator. */
void gc_fill(avs_tensor *t, float lo, float hi, uint64_t seed);

#endif
