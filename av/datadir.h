/* Finding the data AVS ships (default models, label lists, sample clips):
 * the first of these folders that has the file wins:
 *
 *   1. $AVS_DATA
 *   2. <prefix>/share/avs of the running program (<prefix>/bin/../share/avs):
 *      installed apps, wherever the prefix was put
 *   3. <prefix>/share/avs of libavs.so (<prefix>/lib/../share/avs): programs
 *      linked with an installed libavs.so
 *   4. the source tree's data/, only for programs and libavs.so of the build
 *      tree (installed copies never read the source tree)
 *   5. <prefix configured at build time>/share/avs (e.g. programs linked with
 *      libavs.a)
 */
#ifndef AVS_DATADIR_H
#define AVS_DATADIR_H

/* The full path of the shipped file `rel` ("models/action.safetensors") in
 * the first folder above that has it; *out is malloc'ed (free() it). Returns
 * AVS_OK, or AVS_ENOTFOUND with a message that lists every folder tried and
 * names AVS_DATA. The path found is logged at AVS_LOG_DEBUG. */
int avs_data_path(const char *rel, char **out);

#endif
