#include "video/clip.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "av/status.h"
#include "video/decode_priv.h"
#include "video/preprocess_priv.h"

/* Seeking forward by less than this decodes on instead (about a GOP). */
#define SEEK_AHEAD_S 2.0

struct avs_clip_reader {
  avs_video *v;
  avs_prep *prep;
  double fps; /* 0: native */
  AVFrame *prev;        /* the candidate frame for the next sampling time */
  double t_prev;
  bool have_prev;
  bool have_next;       /* v->frame holds the frame after prev */
  double t_next;
  bool eof;
  bool started;
  double start_req;     /* requested start time, -INFINITY: the first frame */
  double t0;            /* sampling times are t0 + k / fps */
  int64_t k;
};

int avs_clip_reader_new(avs_video *v, const avs_clip_params *p, avs_clip_reader **out) {
  int rc;
  *out = NULL;
  if (!(p->fps >= 0 && p->fps <= 1000))
    return avs_seterr(AVS_EINVAL, "sampling rate %g fps is outside 0..1000", p->fps);
  avs_clip_reader *r = calloc(1, sizeof *r);
  if (!r) return avs_seterr(AVS_ENOMEM, "out of memory for a clip reader");
  r->v = v;
  r->fps = p->fps;
  r->start_req = -INFINITY;
  if ((rc = avs_prep_new(&p->geom, p->norm, &r->prep))) goto fail;
  const avs_video_info *in = avs_video_info_get(v);
  if (in->width > 0 && in->height > 0 && (rc = avs_prep_set_source(r->prep, in->width, in->height))) goto fail;
  if (!(r->prev = av_frame_alloc())) {
    rc = avs_seterr(AVS_ENOMEM, "out of memory for a clip reader");
    goto fail;
  }
  *out = r;
  return 0;
fail:
  avs_clip_reader_free(&r);
  return rc;
}

void avs_clip_reader_free(avs_clip_reader **pr) {
  avs_clip_reader *r = *pr;
  if (!r) return;
  avs_prep_free(&r->prep);
  av_frame_free(&r->prev);
  free(r);
  *pr = NULL;
}

void avs_clip_reader_frame_size(const avs_clip_reader *r, int *w, int *h) { avs_prep_out_size(r->prep, w, h); }

double avs_clip_reader_fps(const avs_clip_reader *r) { return r->fps > 0 ? r->fps : r->v->info.fps; }

static void reset(avs_clip_reader *r, double start) {
  av_frame_unref(r->prev);
  r->have_prev = r->have_next = r->eof = r->started = false;
  r->start_req = start;
}

int avs_clip_reader_seek(avs_clip_reader *r, double t) {
  if (!(t >= 0) || !isfinite(t)) return avs_seterr(AVS_EINVAL, "cannot seek to %g s", t);
  if (r->fps > 0 && r->have_prev && t >= r->t_prev && t - r->t_prev < SEEK_AHEAD_S) {
    /* Close ahead: decode on; frames before t lose the nearest-frame contest. */
    r->t0 = t;
    r->k = 0;
    return 0;
  }
  int rc = avs_video_seek(r->v, t);
  if (rc) return rc;
  reset(r, t);
  return 0;
}

static int emit(avs_clip_reader *r, const AVFrame *f, float *out, uint8_t *rgb) {
  if (!out && !rgb) return 0; /* skipped by a stride: not converted */
  return avs_prep_avframe(r->prep, f, rgb, out);
}

static int next_frame(avs_clip_reader *r, float *out, uint8_t *rgb, double *t_out) {
  int rc;
  double t;
  if (r->fps <= 0) { /* every frame at its own time */
    rc = avs_video_next(r->v, &t);
    if (rc <= 0) return rc;
    if ((rc = emit(r, r->v->frame, out, rgb))) return rc;
    if (t_out) *t_out = t;
    return 1;
  }
  for (;;) {
    if (!r->have_prev) {
      if (r->eof) return 0;
      rc = avs_video_next(r->v, &t);
      if (rc < 0) return rc;
      if (rc == 0) {
        r->eof = true;
        return 0;
      }
      if ((rc = av_frame_ref(r->prev, r->v->frame)) < 0)
        return avs_seterr(AVS_ENOMEM, "out of memory holding a frame");
      r->t_prev = t;
      r->have_prev = true;
      if (!r->started) {
        /* A stream that starts late (or a seek into a gap) starts at its first frame. */
        double first = t - 0.5 * r->v->frame_dur;
        r->t0 = isfinite(r->start_req) && r->start_req > first ? r->start_req : (isfinite(r->start_req) ? first : t);
        r->k = 0;
        r->started = true;
      }
      continue;
    }
    if (!r->have_next && !r->eof) {
      rc = avs_video_next(r->v, &t);
      if (rc < 0) return rc;
      if (rc == 0)
        r->eof = true;
      else
        r->have_next = true, r->t_next = t;
    }
    double tk = r->t0 + (double)r->k / r->fps;
    double limit = r->have_next ? 0.5 * (r->t_prev + r->t_next) : r->t_prev + 0.5 * r->v->frame_dur;
    if (tk < limit) {
      if ((rc = emit(r, r->prev, out, rgb))) return rc;
      r->k++;
      if (t_out) *t_out = tk;
      return 1;
    }
    if (!r->have_next) return 0;
    av_frame_unref(r->prev);
    if (av_frame_ref(r->prev, r->v->frame) < 0) return avs_seterr(AVS_ENOMEM, "out of memory holding a frame");
    r->t_prev = r->t_next;
    r->have_next = false;
  }
}

int avs_clip_reader_next(avs_clip_reader *r, float *out, uint8_t *rgb, double *t) {
  if (!out && !rgb) return avs_seterr(AVS_EINVAL, "avs_clip_reader_next needs an output buffer");
  return next_frame(r, out, rgb, t);
}

int avs_clip_read(avs_clip_reader *r, double t0, int T, int stride, float *out) {
  int rc;
  if (T <= 0 || stride <= 0) return avs_seterr(AVS_EINVAL, "a clip needs T >= 1 and stride >= 1 (got %d, %d)", T, stride);
  if (t0 != AVS_CLIP_CONTINUE && (rc = avs_clip_reader_seek(r, t0))) return rc;
  int w, h;
  avs_prep_out_size(r->prep, &w, &h);
  size_t frame = (size_t)w * h * 3;
  int got = 0;
  for (int64_t i = 0; got < T; i++) {
    bool keep = i % stride == 0;
    rc = next_frame(r, keep ? out + (size_t)got * frame : NULL, NULL, NULL);
    if (rc < 0) return rc;
    if (rc == 0) break;
    if (keep) {
      if (got == 0) { /* a video without a known size fixes it at its first frame */
        avs_prep_out_size(r->prep, &w, &h);
        frame = (size_t)w * h * 3;
      }
      got++;
    }
  }
  if (got == 0) {
    const avs_video_info *in = &r->v->info;
    if (t0 > 0 && in->duration > 0)
      return avs_seterr(AVS_ENOTFOUND, "no video frames at or after %.3f s (the video lasts %.3f s) (%s)", t0,
                        in->duration, r->v->url);
    return avs_seterr(AVS_ENOTFOUND, "no decodable video frames (%s)", r->v->url);
  }
  for (int i = got; i < T; i++) memcpy(out + (size_t)i * frame, out + (size_t)(got - 1) * frame, frame * sizeof *out);
  return got;
}

int avs_clip_starts(const avs_video_info *info, double fps, int n, int T, int stride, double *starts) {
  if (n <= 0 || T <= 0 || stride <= 0)
    return avs_seterr(AVS_EINVAL, "clips need n, T and stride >= 1 (got %d, %d, %d)", n, T, stride);
  if (!(info->duration > 0)) return avs_seterr(AVS_EUNSUPPORTED, "the video's duration is unknown");
  if (fps <= 0) fps = info->fps;
  double span = ((double)(T - 1) * stride + 1) / fps;
  double room = info->duration - span > 0 ? info->duration - span : 0;
  for (int i = 0; i < n; i++) starts[i] = n == 1 ? room / 2 : room * i / (n - 1);
  return 0;
}

int avs_clip_read_evenly(avs_clip_reader *r, int n, int T, int stride, avs_tensor **out) {
  int rc;
  *out = NULL;
  double *starts = n > 0 ? malloc(sizeof(double) * n) : NULL;
  if (n > 0 && !starts) return avs_seterr(AVS_ENOMEM, "out of memory");
  if ((rc = avs_clip_starts(&r->v->info, r->fps, n, T, stride, starts))) goto done;
  int w, h;
  avs_prep_out_size(r->prep, &w, &h);
  if (w <= 0 || h <= 0) {
    rc = avs_seterr(AVS_EFORMAT, "the video's frame size is unknown (%s)", r->v->url);
    goto done;
  }
  avs_tensor *t = avs_tensor_new(5, AVS_SHAPE(n, T, h, w, 3));
  if (!t) {
    rc = avs_errcode();
    goto done;
  }
  t->requires_grad = false;
  size_t clip = (size_t)T * h * w * 3;
  for (int i = 0; i < n; i++) {
    rc = avs_clip_read(r, starts[i], T, stride, t->data + i * clip);
    if (rc == AVS_ENOTFOUND && i > 0) {
      /* The file ends before its stated duration (cut short): later clips repeat the last frame seen. */
      avs_log(AVS_LOG_WARN, "%s; clip %d of %d repeats the last frame", avs_errmsg(), i + 1, n);
      const float *last = t->data + i * clip - clip / T;
      for (int k = 0; k < T; k++) memcpy(t->data + i * clip + k * (clip / T), last, sizeof(float) * (clip / T));
      rc = 0;
    }
    if (rc < 0) {
      avs_tensor_free(&t);
      goto done;
    }
  }
  rc = 0;
  *out = t;
done:
  free(starts);
  return rc;
}
