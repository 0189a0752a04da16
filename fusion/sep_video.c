/* Separation of a video's soundtrack by boxes (see sep_video.h). */
#include "fusion/sep_video.h"

#include <stdlib.h>
#include <string.h>

#include "av/status.h"
#include "video/image.h"

/* Windows overlap by half or more, so the frame times of window k and k + 1
 * interleave: crops are made per time point in increasing time, and a point's
 * crops are kept until no later window needs them. */
typedef struct {
  const avs_sep_geometry *g;
  const avs_sep_video_job *job;
  avs_frame_cursor *cur;
  avs_image frame;
  double *times;      /* every window's frame times, window by window */
  int *order;         /* time points sorted by time */
  float **crops;      /* per time point: sources x height x width x 3, or NULL */
  int n_points, next; /* points decoded so far, in `order` */
  int64_t windows;
} video_crops;

static int by_time(const void *a, const void *b, void *u) {
  const double *t = u;
  double x = t[*(const int *)a], y = t[*(const int *)b];
  return x < y ? -1 : x > y;
}

static int point_crops(video_crops *v, int p) {
  const avs_sep_geometry *g = v->g;
  size_t per = (size_t)g->height * g->width * 3;
  int rc = avs_frame_cursor_at(v->cur, v->times[p] < 0 ? 0 : v->times[p], &v->frame);
  if (!rc && !(v->crops[p] = malloc(sizeof(float) * per * (size_t)v->job->sources)))
    rc = avs_seterr(AVS_ENOMEM, "out of memory");
  avs_sep_geometry one = *g;
  one.frames = 1;
  for (int j = 0; !rc && j < v->job->sources; j++)
    rc = avs_sep_crop_boxes(&one, &v->frame, &v->job->boxes[j], v->crops[p] + per * j);
  return rc;
}

static int window_crops(void *user, int64_t k, int64_t s0, float *crops) {
  (void)s0;
  video_crops *v = user;
  const avs_sep_geometry *g = v->g;
  int T = g->frames, rc = AVS_OK;
  double last = v->times[k * T + T - 1];
  /* Decode forward through every point up to this window's last frame. */
  while (!rc && v->next < v->n_points && v->times[v->order[v->next]] <= last) rc = point_crops(v, v->order[v->next++]);
  size_t per = (size_t)g->height * g->width * 3;
  for (int j = 0; !rc && j < v->job->sources; j++)
    for (int i = 0; i < T; i++) {
      const float *src = v->crops[k * T + i];
      if (!src) return avs_seterr(AVS_EINVAL, "internal: crops of window %lld frame %d missing", (long long)k, i);
      memcpy(crops + per * ((size_t)j * T + i), src + per * j, sizeof(float) * per);
    }
  /* Window k's points are no longer needed once k + 1 is done: free the previous window's. */
  for (int i = 0; k > 0 && i < T; i++) free(v->crops[(k - 1) * T + i]), v->crops[(k - 1) * T + i] = NULL;
  return rc;
}

int avs_sep_separate_video(const avs_model *m, const char *video, const float *x, int64_t n,
                           const avs_sep_video_job *job, float *const *out) {
  avs_sep_geometry g;
  avs_sep_model_geometry(m, &g);
  video_crops v = {.g = &g, .job = job, .windows = avs_sep_windows(&g, n)};
  v.n_points = (int)(v.windows * g.frames);
  v.times = malloc(sizeof(double) * (size_t)v.n_points);
  v.order = malloc(sizeof(int) * (size_t)v.n_points);
  v.crops = calloc((size_t)v.n_points, sizeof *v.crops);
  int rc = v.times && v.order && v.crops ? avs_frame_cursor_open(video, &v.cur) : avs_seterr(AVS_ENOMEM, "out of memory");
  for (int64_t k = 0; !rc && k < v.windows; k++)
    avs_sep_frame_times(&g, avs_sep_window_start(&g, n, k), v.times + k * g.frames);
  for (int i = 0; !rc && i < v.n_points; i++) v.order[i] = i;
  if (!rc) qsort_r(v.order, (size_t)v.n_points, sizeof *v.order, by_time, v.times);
  avs_sep_job sj = {.sources = job->sources, .crops = window_crops, .user = &v, .rule = job->rule,
                    .progress = job->progress, .progress_user = job->progress_user};
  if (!rc) rc = avs_sep_separate(m, x, n, &sj, out);
  for (int i = 0; v.crops && i < v.n_points; i++) free(v.crops[i]);
  free(v.times), free(v.order), free(v.crops);
  avs_image_release(&v.frame);
  avs_frame_cursor_free(&v.cur);
  return rc;
}
