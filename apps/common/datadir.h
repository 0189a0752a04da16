/* Finding shipped data (default models, label lists, samples): $AVS_DATA, else
 * the source tree's data/ (build tree), else the installed share/avs. */
#ifndef AVS_APP_DATADIR_H
#define AVS_APP_DATADIR_H

/* Full path of data/<rel> if it exists, else NULL. Returned string is static-lived (do not free). */
const char *app_data_path(const char *rel);

#endif
