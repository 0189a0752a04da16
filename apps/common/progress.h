/* A progress line on stderr for long work: a bar when stderr is a terminal,
 * a line every ~10% otherwise (each with the time left, so logs show an ETA
 * too); nothing with --quiet. */
#ifndef AVS_APP_PROGRESS_H
#define AVS_APP_PROGRESS_H

#include <stdint.h>

typedef struct {
  const char *what;
  int64_t total, last_shown;
  double start;
  int tty;
} app_progress;

void app_progress_start(app_progress *p, const char *what, int64_t total);
void app_progress_update(app_progress *p, int64_t done);
void app_progress_end(app_progress *p);
double app_now(void); /* seconds, monotonic */

#endif
