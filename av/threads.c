#include "av/threads.h"

#include "av/ctx.h"

#include <cblas.h>
#include <omp.h>
#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>
#include <stdio.h>
#include <string.h>

void avs_threads_set(int n) {
  if (n <= 0) n = omp_get_num_procs();
  omp_set_num_threads(n);
  openblas_set_num_threads(n);
}

int avs_threads_get(void) { return omp_get_max_threads(); }

char *avs_backend_describe(char *buf, size_t size) {
  const dnnl_version_t *v = dnnl_version();
  /* openblas_get_config() starts with "OpenBLAS <version>" and lists build options after */
  char blas[48];
  snprintf(blas, sizeof blas, "%s", openblas_get_config());
  char *space = strchr(blas, ' ');
  if (space && (space = strchr(space + 1, ' '))) *space = 0;
  snprintf(buf, size, "oneDNN %d.%d.%d (%s), %s (%s kernel), %d threads, convolutions in %s", v->major, v->minor,
           v->patch, dnnl_cpu_isa2str(dnnl_get_effective_cpu_isa()), blas, openblas_get_corename(), avs_threads_get(),
           avs_precision_name(avs_precision_default()));
  return buf;
}
