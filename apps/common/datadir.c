#include "apps/common/datadir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apps/common/output.h"

const char *app_data_path(const char *rel) {
  const char *roots[] = {getenv("AVS_DATA"), AVS_DATA_DIR_BUILD, AVS_DATA_DIR_INSTALL};
  for (size_t i = 0; i < sizeof roots / sizeof *roots; i++) {
    if (!roots[i] || !roots[i][0]) continue;
    size_t n = strlen(roots[i]) + strlen(rel) + 2;
    char *p = malloc(n);
    if (!p) return NULL;
    snprintf(p, n, "%s/%s", roots[i], rel);
    if (app_file_exists(p)) return p; /* lives for the process */
    free(p);
  }
  return NULL;
}
