/* Audio buffers and audio files through libsndfile (WAV, FLAC, OGG/Vorbis,
 * AIFF, ... whatever libsndfile reads), any channel count, float samples.
 *
 * An avs_audio holds interleaved float frames: sample c of frame i is
 * data[i * channels + c]. Integer files read as floats in [-1, 1).
 * Every reader rejects what no model should see: a missing or unreadable
 * file, an unknown format, zero frames, a sample rate outside
 * [AVS_AUDIO_RATE_MIN, AVS_AUDIO_RATE_MAX], NaN or infinite samples. */
#ifndef AVS_AUDIO_FILE_H
#define AVS_AUDIO_FILE_H

#include <stdbool.h>
#include <stdint.h>

#define AVS_AUDIO_RATE_MIN 1000
#define AVS_AUDIO_RATE_MAX 768000
#define AVS_AUDIO_MAX_CHANNELS 256

/* Model rates: Sound of Pixels (music separation) and speech models. */
#define AVS_RATE_MUSIC 11025
#define AVS_RATE_SPEECH 16000

typedef struct avs_audio {
  float *data;    /* frames * channels, interleaved */
  int64_t frames;
  int channels;
  int rate;       /* Hz */
} avs_audio;

/* A zeroed buffer. NULL (and avs_errmsg) on a bad size or out of memory. */
avs_audio *avs_audio_new(int64_t frames, int channels, int rate);
void avs_audio_free(avs_audio **a);
/* A copy of `frames` frames from `start` (clipped to the buffer). */
avs_audio *avs_audio_slice(const avs_audio *a, int64_t start, int64_t frames);

/* Reads a whole file. Errors name the file: "cannot open audio file: <why> (<path>)".
 * A file libsndfile does not recognise, or MPEG audio, gives AVS_EUNSUPPORTED (try
 * avs_audio_load, which falls back to FFmpeg); a damaged or bad one AVS_EFORMAT. */
int avs_audio_read(const char *path, avs_audio **out);

typedef enum {
  AVS_SAMPLE_DEFAULT = 0, /* float for WAV/AIFF/CAF, 24-bit for FLAC, Vorbis for OGG */
  AVS_SAMPLE_PCM16,
  AVS_SAMPLE_PCM24,
  AVS_SAMPLE_FLOAT,
} avs_sample_format;

/* Writes a file, its container chosen by the extension (.wav .flac .ogg/.oga
 * .aiff/.aif .caf .au). Integer formats clip. Refuses NaN/Inf samples, zero
 * frames and bad rates before creating anything; a failed write removes the
 * partial file. Callers that must never leave a partial file under the final
 * name write to a temporary name and rename (apps: app_tmp_path/app_commit). */
int avs_audio_write(const char *path, const avs_audio *a, avs_sample_format fmt);

/* Mono down-mix: the mean of the channels (a copy when already mono). */
int avs_audio_downmix(const avs_audio *in, avs_audio **out);

/* Checks a buffer as the readers do (frames > 0, rate and channels in range,
 * every sample finite). `what` names the source in the message. */
int avs_audio_check(const avs_audio *a, const char *what);

/* Index of the first non-finite value in x[0..n), or -1. */
int64_t avs_audio_find_nonfinite(const float *x, int64_t n);

#endif
