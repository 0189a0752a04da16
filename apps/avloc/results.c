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
  bool has_best;
};

avloc_results *avloc_results_new(bool json, bool summary) {
  avloc_results *r = calloc(1, sizeof *r);
  if (!r) app_fail("out of memory");
  if (json && !(r->frames = tmpfile())) app_fail("cannot create a temporary file for the JSON results");
  r->summary = summary;
  r->second = -1;
  if (summary) printf("%8s  %-14s %s\n", "second", "peak (x, y)", "score");
  return r;
}

static void print_second(avloc_results *r) {
  if (r->second < 0) return;
  if (r->has_best)
    printf("%8ld  (%d, %d)%*s %.2f\n", r->second, r->best.x, r->best.y,
           (int)(14 - snprintf(NULL, 0, "(%d, %d)", r->best.x, r->best.y)), "", r->best.score);
  else
    printf("%8ld  %-14s -\n", r->second, "none");
  fflush(stdout);
}

void avloc_results_add(avloc_results *r, double t, const avloc_peak *pk, int n) {
  if (r->frames) {
    FILE *f = r->frames;
    fprintf(f, "%s{\"t\": %.3f, \"peaks\": [", r->count ? ",\n  " : "  ", t);
    for (int i = 0; i < n; i++)
      fprintf(f, "%s{\"x\": %d, \"y\": %d, \"score\": %.4f}", i ? ", " : "", pk[i].x, pk[i].y, pk[i].score);
    fprintf(f, "], \"boxes\": [");
    for (int i = 0; i < n; i++)
      fprintf(f, "%s[%d, %d, %d, %d]", i ? ", " : "", pk[i].box[0], pk[i].box[1], pk[i].box[2], pk[i].box[3]);
    fprintf(f, "]}");
    if (ferror(f)) app_fail("cannot write the JSON results to a temporary file");
  }
  r->count++;
  if (!r->summary) return;
  long s = (long)floor(t);
  if (s != r->second) {
    print_second(r);
    r->second = s, r->has_best = false;
  }
  if (n && (!r->has_best || pk[0].score > r->best.score)) r->best = pk[0], r->has_best = true;
}

void avloc_results_finish(avloc_results *r, const char *video, const char *model, int w, int h, double fps) {
  if (r->summary) print_second(r), r->second = -1;
  if (!r->frames) return;
  cJSON *head = cJSON_CreateObject();
  cJSON_AddStringToObject(head, "video", video);
  cJSON_AddStringToObject(head, "model", model);
  cJSON_AddNumberToObject(head, "width", w);
  cJSON_AddNumberToObject(head, "height", h);
  cJSON_AddNumberToObject(head, "fps", round(fps * 1000) / 1000);
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
