#include "apps/common/progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "apps/common/cli.h"

double app_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

void app_progress_start(app_progress *p, const char *what, int64_t total) {
  p->what = what;
  p->total = total > 0 ? total : 1;
  p->last_shown = -1;
  p->start = app_now();
  p->tty = isatty(2);
}

void app_progress_update(app_progress *p, int64_t done) {
  if (app_quiet()) return;
  int pct = (int)(100 * done / p->total);
  int step = p->tty ? 1 : 10;
  if (p->last_shown >= 0 && pct / step == p->last_shown / step && done < p->total) return;
  p->last_shown = pct;
  double el = app_now() - p->start, eta = done > 0 ? el * (p->total - done) / done : 0;
  if (p->tty) {
    char bar[31];
    int fill = pct * 30 / 100;
    for (int i = 0; i < 30; i++) bar[i] = i < fill ? '#' : '.';
    bar[30] = 0;
    fprintf(stderr, "\r%s [%s] %3d%% %lld/%lld %.0fs left ", p->what, bar, pct, (long long)done,
            (long long)p->total, eta);
  } else {
    /* off a terminal (a log, a pipe): a line every 10%, with the time left as on the bar */
    if (done < p->total && done > 0)
      fprintf(stderr, "%s: %d%% (%lld/%lld, %.1fs, about %.0fs left)\n", p->what, pct, (long long)done,
              (long long)p->total, el, eta);
    else
      fprintf(stderr, "%s: %d%% (%lld/%lld, %.1fs)\n", p->what, pct, (long long)done, (long long)p->total, el);
  }
}

void app_progress_end(app_progress *p) {
  if (app_quiet()) return;
  if (p->tty) fprintf(stderr, "\n");
}
