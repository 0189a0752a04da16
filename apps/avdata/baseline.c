/* avdata baseline: oracle-mask and NMF separation scores (to be written). */
#include "apps/avdata/avdata.h"
#include "apps/common/cli.h"

int avdata_baseline(int argc, char **argv) {
  (void)argc;
  (void)argv;
  app_fail("baseline: not written yet");
}
