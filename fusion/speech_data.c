/* Speech data from avdata manifests (see speech_data.h). */
#include "fusion/speech_data.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audio/audio_track.h"
#include "av/status.h"

void avs_speech_mouth_box(const float face[4], float mouth[4]) {
  float w = face[2] - face[0], h = face[3] - face[1];
  float cx = face[0] + 0.5f * w, cy = face[1] + 0.75f * h, half = 0.25f * w;
  mouth[0] = cx - half, mouth[1] = cy - half, mouth[2] = cx + half, mouth[3] = cy + half;
}

void avs_speech_face_box(const float face[4], float square[4]) {
  float cx = 0.5f * (face[0] + face[2]), cy = 0.5f * (face[1] + face[3]);
  float half = 0.55f * fmaxf(fmaxf(face[2] - face[0], face[3] - face[1]), 2.0f);
  square[0] = cx - half, square[1] = cy - half, square[2] = cx + half, square[3] = cy + half;
}

int avs_speech_crop_gray(const avs_image *im, const float box[4], int size, uint8_t *out) {
  float *rgb = malloc(sizeof(float) * 3 * (size_t)size * size);
  if (!rgb) return avs_seterr(AVS_ENOMEM, "out of memory for a %dx%d crop", size, size);
  avs_image_crop_resize(im, box, size, size, NULL, rgb);
  for (int i = 0; i < size * size; i++) {
    float y = 0.299f * rgb[3 * i] + 0.587f * rgb[3 * i + 1] + 0.114f * rgb[3 * i + 2] + 0.5f;
    out[i] = (uint8_t)(y < 0 ? 0 : y > 255 ? 255 : y);
  }
  free(rgb);
  return AVS_OK;
}

void avs_speech_pixels(const uint8_t *p, int64_t n, float *out) {
  for (int64_t i = 0; i < n; i++) out[i] = p[i] / 127.5f - 1.0f;
}

int avs_speech_crop_track(const avs_speech_geometry *g, const avs_image *frames, const float (*boxes)[4], int n,
                          uint8_t *mouths, uint8_t *face) {
  size_t per = (size_t)g->mouth_size * g->mouth_size;
  int rc = AVS_OK;
  for (int v = 0; !rc && v < n; v++) {
    float mb[4];
    avs_speech_mouth_box(boxes[v], mb);
    rc = avs_speech_crop_gray(&frames[v], mb, g->mouth_size, mouths + per * v);
  }
  float fb[4];
  avs_speech_face_box(boxes[n / 2], fb);
  return rc ? rc : avs_speech_crop_gray(&frames[n / 2], fb, g->face_size, face);
}

void avs_speech_set_free(avs_speech_set **sp) {
  avs_speech_set *s = sp ? *sp : NULL;
  if (!s) return;
  for (int i = 0; i < s->n_voices; i++) free(s->voice[i].wave), free(s->voice[i].mouths), free(s->voice[i].face);
  for (int c = 0; s->mix && c < s->n_clips; c++) free(s->mix[c]);
  free(s->voice), free(s->first), free(s->count), free(s->mix), free(s);
  *sp = NULL;
}

/* n samples of a file's audio at 16 kHz, mono, zero past its end. */
static int read_audio(const char *path, int64_t n, float **out) {
  avs_audio *a = NULL;
  int rc = avs_track_load(path, &(avs_track_opts){.rate = AVS_SPEECH_RATE, .channels = 1}, &a);
  if (rc) return rc;
  if (!(*out = malloc(sizeof(float) * (size_t)n))) rc = avs_seterr(AVS_ENOMEM, "out of memory");
  for (int64_t i = 0; !rc && i < n; i++) (*out)[i] = i < a->frames ? a->data[i] : 0.0f;
  avs_audio_free(&a);
  return rc;
}

static int load_clip(avs_speech_set *s, int c) {
  const avs_manifest_clip *clip = &s->mf->clips[c];
  const avs_speech_geometry *g = &s->g;
  int n = s->frames, rc = read_audio(clip->audio, s->samples, &s->mix[c]);
  double *times = malloc(sizeof(double) * (size_t)n);
  avs_image *frames = calloc((size_t)n, sizeof *frames);
  float(*boxes)[4] = malloc(sizeof(float[4]) * (size_t)n);
  if (!rc && (!times || !frames || !boxes)) rc = avs_seterr(AVS_ENOMEM, "out of memory");
  for (int v = 0; !rc && v < n; v++) times[v] = (double)v / g->fps;
  if (!rc) rc = avs_image_frames_at(clip->video, times, n, frames);
  size_t per = (size_t)g->mouth_size * g->mouth_size;
  for (int k = 0; !rc && k < s->count[c]; k++) {
    const avs_manifest_object *ob = &clip->objects[k];
    avs_speech_voice *o = &s->voice[s->first[c] + k];
    o->clip = c, o->speaker = ob->cls;
    if (ob->n_boxes < 1) {
      rc = avs_seterr(AVS_EFORMAT, "speaker %d has no face boxes", k);
      break;
    }
    for (int v = 0; v < n; v++)
      for (int j = 0; j < 4; j++) boxes[v][j] = (float)ob->boxes[v < ob->n_boxes ? v : ob->n_boxes - 1][j];
    o->mouths = malloc(per * (size_t)n);
    o->face = malloc((size_t)g->face_size * g->face_size);
    if (!o->mouths || !o->face) rc = avs_seterr(AVS_ENOMEM, "out of memory");
    if (!rc) rc = avs_speech_crop_track(g, frames, (const float(*)[4])boxes, n, o->mouths, o->face);
    if (!rc) rc = read_audio(ob->stem, s->samples, &o->wave);
  }
  for (int v = 0; frames && v < n; v++) avs_image_release(&frames[v]);
  free(times), free(frames), free(boxes);
  return rc;
}

int avs_speech_set_load(const avs_manifest *mf, const avs_speech_geometry *g, avs_speech_progress_fn progress,
                        void *user, avs_speech_set **out) {
  *out = NULL;
  if (mf->n < 1) return avs_seterr(AVS_EINVAL, "the manifest has no clips (%s)", mf->path);
  avs_speech_set *s = calloc(1, sizeof *s);
  if (!s) return avs_seterr(AVS_ENOMEM, "out of memory");
  s->g = *g, s->mf = mf, s->n_clips = mf->n;
  double seconds = 1e30;
  int total = 0, rc = AVS_OK;
  for (int c = 0; c < mf->n; c++) {
    const avs_manifest_clip *clip = &mf->clips[c];
    if (!rc && (int)lround(clip->fps) != g->fps)
      rc = avs_seterr(AVS_EINVAL, "clip %s is at %g frames/s, the model wants %d", clip->id, clip->fps, g->fps);
    if (!rc && (clip->frames < 1 || !clip->audio))
      rc = avs_seterr(AVS_EFORMAT, "clip %s has no frames or no audio", clip->id);
    if (!rc) seconds = fmin(seconds, clip->frames / clip->fps);
    for (int k = 0; k < clip->n_objects; k++) total += clip->objects[k].sounding && clip->objects[k].stem;
  }
  s->frames = rc ? 0 : (int)floor(seconds * g->fps + 1e-6);
  s->samples = (int64_t)s->frames * AVS_SPEECH_RATE / g->fps;
  s->first = calloc((size_t)mf->n, sizeof *s->first);
  s->count = calloc((size_t)mf->n, sizeof *s->count);
  s->mix = calloc((size_t)mf->n, sizeof *s->mix);
  s->voice = calloc((size_t)(total ? total : 1), sizeof *s->voice);
  if (!rc && (!s->first || !s->count || !s->mix || !s->voice)) rc = avs_seterr(AVS_ENOMEM, "out of memory");
  /* sounding objects come first in a clip (data/manifest.h) */
  for (int c = 0, k = 0; !rc && c < mf->n; c++) {
    s->first[c] = k;
    for (int q = 0; q < mf->clips[c].n_objects; q++) s->count[c] += mf->clips[c].objects[q].sounding && mf->clips[c].objects[q].stem;
    k += s->count[c];
  }
  s->n_voices = total;
  int done = 0;
#pragma omp parallel for schedule(dynamic) num_threads(2)
  for (int c = 0; c < mf->n; c++) {
    if (rc) continue;
    int r = load_clip(s, c);
#pragma omp critical
    {
      if (r && !rc) rc = avs_errprefix(r, mf->clips[c].id);
      done++;
      if (progress) progress(user, done, mf->n);
    }
  }
  if (rc) avs_speech_set_free(&s);
  *out = s;
  return rc;
}

static double energy(const float *x, int64_t n) {
  double e = 0;
  for (int64_t i = 0; i < n; i++) e += (double)x[i] * x[i];
  return e;
}

/* S voices of S different clips and speakers. */
static int draw_voices(const avs_speech_set *s, int S, avs_rng *rng, int *voices) {
  for (int k = 0; k < S; k++) {
    int tries = 0, ok = 0;
    while (!ok && tries++ < 1000) {
      int v = (int)avs_rng_below(rng, (uint32_t)s->n_voices);
      ok = 1;
      for (int j = 0; j < k; j++) {
        const avs_speech_voice *a = &s->voice[v], *b = &s->voice[voices[j]];
        ok = ok && a->clip != b->clip && (a->speaker < 0 || a->speaker != b->speaker);
      }
      voices[k] = v;
    }
    if (!ok) return avs_seterr(AVS_EINVAL, "the set has no %d voices of different clips and speakers", S);
  }
  return AVS_OK;
}

int avs_speech_batch_make(avs_ctx *ctx, avs_stft *stft, const avs_speech_set *s, const avs_speech_batch_opts *o,
                          int n, avs_rng *rng, avs_speech_batch *b) {
  const avs_speech_geometry *g = &s->g;
  int S = g->speakers, V = o->frames < s->frames ? o->frames : s->frames, M = g->mouth_size, Z = g->face_size;
  if (S > 16) return avs_seterr(AVS_EINVAL, "at most 16 speakers per mixture");
  int64_t L = (int64_t)V * AVS_SPEECH_RATE / g->fps, per_frame = AVS_SPEECH_RATE / g->fps;
  int64_t T = avs_stft_frames(stft, L), plane = T * AVS_SPEECH_BINS * 2;
  b->samples = L;
  b->spec = avs_ctx_tensor(ctx, 4, AVS_SHAPE(n, T, AVS_SPEECH_BINS, 2));
  b->target = avs_ctx_tensor(ctx, 5, AVS_SHAPE(n, S, T, AVS_SPEECH_BINS, 2));
  b->mouths = avs_ctx_tensor(ctx, 5, AVS_SHAPE((int64_t)n * S, V, M, M, 1));
  b->faces = avs_ctx_tensor(ctx, 4, AVS_SHAPE((int64_t)n * S, Z, Z, 1));
  if (!b->spec || !b->target || !b->mouths || !b->faces) return avs_errcode();
  float *mix = malloc(sizeof(float) * (size_t)L), *src = malloc(sizeof(float) * (size_t)L * S);
  int rc = mix && src ? AVS_OK : avs_seterr(AVS_ENOMEM, "out of memory");
  for (int i = 0; !rc && i < n; i++) {
    int voices[16];
    if ((rc = draw_voices(s, S, rng, voices))) break;
    memset(mix, 0, sizeof(float) * (size_t)L);
    for (int k = 0; k < S; k++) {
      const avs_speech_voice *vo = &s->voice[voices[k]];
      int v0 = (int)avs_rng_below(rng, (uint32_t)(s->frames - V + 1)); /* windows start on a video frame */
      float gain = powf(10.0f, (2.0f * avs_rng_uniform(rng) - 1.0f) * o->gain_db / 20.0f);
      float *x = src + L * k;
      for (int64_t t = 0; t < L; t++) x[t] = gain * vo->wave[v0 * per_frame + t], mix[t] += x[t];
      int r = i * S + k;
      avs_speech_pixels(vo->mouths + (size_t)v0 * M * M, (int64_t)V * M * M, b->mouths->data + (size_t)r * V * M * M);
      avs_speech_pixels(vo->face, (int64_t)Z * Z, b->faces->data + (size_t)r * Z * Z);
    }
    double speech = energy(mix, L) / (double)L;
    float snr = o->snr_min + (o->snr_max - o->snr_min) * avs_rng_uniform(rng);
    float sigma = (float)sqrt(speech / pow(10.0, snr / 10.0));
    for (int64_t t = 0; speech > 0 && t < L; t++) mix[t] += sigma * avs_rng_normal(rng);
    rc = avs_stft_forward(stft, mix, L, b->spec->data + plane * i);
    for (int k = 0; !rc && k < S; k++) rc = avs_stft_forward(stft, src + L * k, L, b->target->data + plane * (i * S + k));
  }
  free(mix), free(src);
  return rc;
}
