/* Training and evaluation data for speech models (fusion/speech.h), from
 * avdata speech manifests (avdata synth --kind speech): every sounding speaker
 * of every clip with its whole stem (at 16 kHz), a grayscale mouth crop per
 * video frame and one grayscale face crop, both cut from the face box alone
 * (avs_speech_mouth_box, avs_speech_face_box: the same rules apply to a
 * detector's boxes in avsep speech).
 *
 * Mix-and-separate: a training example takes two speakers of two different
 * clips (different voices), a window of each aligned to a video frame, scales
 * each by a random gain, adds white noise at a random SNR, and asks for each
 * speaker's STFT (its scaled window's). Crops are stored as bytes (0..255) and
 * given to the model as p / 127.5 - 1. */
#ifndef AVS_FUSION_SPEECH_DATA_H
#define AVS_FUSION_SPEECH_DATA_H

#include <stdint.h>

#include "av/ctx.h"
#include "av/rng.h"
#include "data/manifest.h"
#include "fusion/speech.h"
#include "video/image.h"

/* The mouth region of a face box [x0, y0, x1, y1]: a square of side 0.5 w
 * centred at (x0 + 0.5 w, y0 + 0.75 h), w and h the box's width and height.
 * On avdata's faces it covers every mouth box of the sample manifests
 * (tests/fusion/test_speech_data.c measures it). */
void avs_speech_mouth_box(const float face[4], float mouth[4]);
/* The face crop's square: centred on the box, side 1.1 x its longer side. */
void avs_speech_face_box(const float face[4], float square[4]);
/* box of im resized to size x size, grayscale (0.299 R + 0.587 G + 0.114 B), into out (bytes). AVS_ENOMEM. */
int avs_speech_crop_gray(const avs_image *im, const float box[4], int size, uint8_t *out);
/* n bytes p to the model's p / 127.5 - 1. */
void avs_speech_pixels(const uint8_t *p, int64_t n, float *out);

typedef struct {
  float *wave;      /* the whole stem at 16 kHz (samples) */
  uint8_t *mouths;  /* frames x M x M */
  uint8_t *face;    /* Z x Z (the face on the clip's middle frame) */
  int clip, speaker;
} avs_speech_voice;

typedef struct {
  avs_speech_geometry g;
  const avs_manifest *mf;
  int64_t samples;  /* samples of every clip (the shortest clip's, at 16 kHz) */
  int frames;       /* video frames of every clip (g.fps frames per second) */
  avs_speech_voice *voice;
  int n_voices;
  int *first, *count; /* voices of clip c: voice[first[c] .. first[c] + count[c]) */
  float **mix;      /* each clip's own mixture (its audio), samples long */
  int n_clips;
} avs_speech_set;

typedef void (*avs_speech_progress_fn)(void *user, int done, int total);

/* Reads every clip of mf (which must outlive the set) at the model's geometry;
 * the clips' frame rate must be g->fps. */
int avs_speech_set_load(const avs_manifest *mf, const avs_speech_geometry *g, avs_speech_progress_fn progress,
                        void *user, avs_speech_set **out);
void avs_speech_set_free(avs_speech_set **s);

/* The crops of one voice over one clip: boxes[v] is its face box on video
 * frame v (frames[v]); mouths (n x M x M) and the face of frame n / 2. */
int avs_speech_crop_track(const avs_speech_geometry *g, const avs_image *frames, const float (*boxes)[4], int n,
                          uint8_t *mouths, uint8_t *face);

typedef struct {
  int frames;          /* video frames per window (seconds x fps) */
  float gain_db;       /* each speaker's gain uniform in [-gain_db, gain_db] */
  float snr_min, snr_max; /* white noise at an SNR (dB, over the speech) uniform in this range */
} avs_speech_batch_opts;

typedef struct {
  avs_tensor *spec;    /* (N, T, 257, 2) the mixtures' STFTs */
  avs_tensor *mouths;  /* (N S, V, M, M, 1) */
  avs_tensor *faces;   /* (N S, Z, Z, 1) */
  avs_tensor *target;  /* (N, S, T, 257, 2) each speaker's STFT */
  int64_t samples;     /* V x 16000 / fps samples per window */
} avs_speech_batch;

/* A batch of n mixtures drawn with rng from the set, built on ctx (S = g.speakers
 * speakers of S different clips and voices each). */
int avs_speech_batch_make(avs_ctx *ctx, avs_stft *stft, const avs_speech_set *s, const avs_speech_batch_opts *o,
                          int n, avs_rng *rng, avs_speech_batch *b);

#endif
