#include "apps/avloc/results.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "apps/common/cli.h"

struct avloc_results {
  FILE *frames;   /* the "frames" array's items, one a line */
  int64_t count;
  bool summary;
  long second;    /* the second being summarised, -1 before the first frame */
  avloc_peak best;
  bool per_source;
  int best_source; /* 1-based per source, else 0 */
  bool has_best;
};

avloc_results *avloc_results_new(bool json, bool summary, bool per_source) {
  avloc_results *r = calloc(1, sizeof *r);
  if (!r) app_fail("out of memory");
  r->per_source = per_source;
  if (json && !(r->frames = tmpfile())) app_fail("cannot create a temporary file for the JSON results");
  r->summary = summary;
  r->second = -1;
  if (summary) printf("%8s  %-14s %s\n", "second", "peak (x, y)", "score");
  return r;
}

static void print_second(avloc_results *r) {
  if (r->second < 0) return;
  if (r->has_best && r->best_source)
    printf("%8ld  (%d, %d)%*s %.2f  source %d\n", r->second, r->best.x, r->best.y,
           (int)(14 - snprintf(NULL, 0, "(%d, %d)", r->best.x, r->best.y)), "", r->best.score, r->best_source);
  else if (r->has_best)
    printf("%8ld  (%d, %d)%*s %.2f\n", r->second, r->best.x, r->best.y,
           (int)(14 - snprintf(NULL, 0, "(%d, %d)", r->best.x, r->best.y)), "", r->best.score);
  else
    printf("%8ld  %-14s -\n", r->second, "none");
  fflush(stdout);
}

static void peaks_json(FILE *f, const avloc_peak *pk, int n) {
  fprintf(f, "\"peaks\": [");
  for (int i = 0; i < n; i++)
    fprintf(f, "%s{\"x\": %d, \"y\": %d, \"score\": %.4f}", i ? ", " : "", pk[i].x, pk[i].y, pk[i].score);
  fprintf(f, "], \"boxes\": [");
  for (int i = 0; i < n; i++)
    fprintf(f, "%s[%d, %d, %d, %d]", i ? ", " : "", pk[i].box[0], pk[i].box[1], pk[i].box[2], pk[i].box[3]);
  fprintf(f, "]");
}

static int by_score(const void *a, const void *b) {
  float sa = ((const avloc_peak *)a)->score, sb = ((const avloc_peak *)b)->score;
  return sa < sb ? 1 : sa > sb ? -1 : 0;
}

void avloc_results_add(avloc_results *r, double t, int maps, const avloc_peak (*pk)[AVLOC_MAX_PEAKS], const int *n) {
  /* The strongest of every map's peaks (qsort of a copy: ties keep no order,
   * so sort by score then by map). */
  avloc_peak all[AVLOC_MAX_PEAKS * AVLOC_MAX_SOURCES];
  int src[AVLOC_MAX_PEAKS * AVLOC_MAX_SOURCES], na = 0;
  for (int j = 0; j < maps; j++)
    for (int i = 0; i < n[j]; i++) all[na] = pk[j][i], src[na] = j, na++;
  for (int i = 1; i < na; i++) /* insertion sort, stable: few items */
    for (int k = i; k > 0 && by_score(&all[k - 1], &all[k]) > 0; k--) {
      avloc_peak tp = all[k]; all[k] = all[k - 1], all[k - 1] = tp;
      int ts = src[k]; src[k] = src[k - 1], src[k - 1] = ts;
    }
  int top = na < AVLOC_MAX_PEAKS ? na : AVLOC_MAX_PEAKS;
  if (r->frames) {
    FILE *f = r->frames;
    fprintf(f, "%s{\"t\": %.3f, ", r->count ? ",\n  " : "  ", t);
    peaks_json(f, all, top);
    if (r->per_source) {
      fprintf(f, ", \"sources\": [");
      for (int j = 0; j < maps; j++) {
        fprintf(f, "%s{\"source\": %d, ", j ? ", " : "", j + 1);
        peaks_json(f, pk[j], n[j]);
        fprintf(f, "}");
      }
      fprintf(f, "]");
    }
    fprintf(f, "}");
    if (ferror(f)) app_fail("cannot write the JSON results to a temporary file");
  }
  r->count++;
  if (!r->summary) return;
  long s = (long)floor(t);
  if (s != r->second) {
    print_second(r);
    r->second = s, r->has_best = false;
  }
  if (top && (!r->has_best || all[0].score > r->best.score))
    r->best = all[0], r->best_source = r->per_source ? src[0] + 1 : 0, r->has_best = true;
}

void avloc_results_finish(avloc_results *r, const char *video, const char *model, int w, int h, double fps,
                          cJSON *extra) {
  if (r->summary) print_second(r), r->second = -1;
  if (!r->frames) {
    cJSON_Delete(extra);
    return;
  }
  cJSON *head = cJSON_CreateObject();
  cJSON_AddStringToObject(head, "video", video);
  cJSON_AddStringToObject(head, "model", model);
  cJSON_AddNumberToObject(head, "width", w);
  cJSON_AddNumberToObject(head, "height", h);
  cJSON_AddNumberToObject(head, "fps", round(fps * 1000) / 1000);
  for (cJSON *item = extra ? extra->child : NULL, *next; item; item = next) {
    next = item->next;
    cJSON_AddItemToObject(head, item->string, cJSON_DetachItemViaPointer(extra, item));
  }
  cJSON_Delete(extra);
  char *text = cJSON_PrintUnformatted(head);
  if (!text) app_fail("out of memory");
  text[strlen(text) - 1] = 0; /* the closing brace: "frames" follows */
  printf("%s, \"frames\": [\n", text);
  rewind(r->frames);
  char buf[1 << 16];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, r->frames)) > 0) fwrite(buf, 1, n, stdout);
  printf("%s]}\n", r->count ? "\n" : "");
  if (fflush(stdout)) app_fail("cannot write the results to stdout");
  free(text);
  cJSON_Delete(head);
}

void avloc_results_free(avloc_results **r) {
  if (!*r) return;
  if ((*r)->frames) fclose((*r)->frames);
  free(*r);
  *r = NULL;
}
