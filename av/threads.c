#include "av/threads.h"

#include <cblas.h>
#include <omp.h>
#include <stdlib.h>
#include <unistd.h>

void avs_threads_set(int n) {
  if (n <= 0) n = omp_get_num_procs();
  omp_set_num_threads(n);
  openblas_set_num_threads(n);
}

int avs_threads_get(void) { return omp_get_max_threads(); }

void avs_blas_select_kernel(int argc, char **argv) {
  (void)argc;
  if (getenv("OPENBLAS_CORETYPE") || getenv("AVS_BLAS_REEXEC")) return;
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx512f")) return;
  setenv("OPENBLAS_CORETYPE", "SkylakeX", 1);
  setenv("AVS_BLAS_REEXEC", "1", 1); /* guard against a loop if exec keeps the old env */
  execv("/proc/self/exe", argv);
  /* exec failed: carry on with whatever kernel OpenBLAS picked */
#endif
}
