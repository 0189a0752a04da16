/* The audio track of a media file (any container/codec FFmpeg opens: mp4,
 * mkv, webm, avi, mov, and plain audio files too), decoded and resampled with
 * libswresample to the rate a model wants, in one streaming pass: packets
 * are demuxed, decoded and resampled as they arrive, other streams are
 * discarded by the demuxer, nothing is read twice.
 *
 *   avs_audio *a;
 *   avs_track_load("clip.mp4", &(avs_track_opts){.rate = AVS_RATE_MUSIC, .channels = 1}, &a);
 *
 * or chunk by chunk with avs_track_open / avs_track_read / avs_track_free. */
#ifndef AVS_AUDIO_TRACK_H
#define AVS_AUDIO_TRACK_H

#include <stdbool.h>
#include <stdint.h>

#include "audio/audio_file.h"

/* Starts before this many seconds are reached by decoding from the beginning
 * and dropping samples: exactly the samples a whole decode gives. Later starts
 * seek (a second early, for the codec's pre-roll) and align the resampler's
 * grid from the first frame's timestamp: exact where timestamps count samples
 * (mp4, mov, avi, wav), within the container's resolution elsewhere (1 ms in
 * mkv/webm) unless opts.exact. */
#define AVS_TRACK_SEEK_MIN 20.0

typedef struct avs_track_opts {
  int rate;        /* output rate in Hz; 0 keeps the stream's rate */
  int channels;    /* 0 keeps the stream's channels; 1 = mono (mean of the channels) */
  double start;    /* seconds from the start of the stream */
  double duration; /* seconds; <= 0 reads to the end */
  int stream;      /* 0: the best audio stream; AVS_TRACK_STREAM(i): stream i of the file */
  bool exact;      /* never seek: reach `start` by decoding from the beginning (sample-exact everywhere) */
} avs_track_opts;
#define AVS_TRACK_STREAM(i) ((i) + 1)

typedef struct avs_track avs_track;

/* Opens the file and its audio stream. Errors: missing file (AVS_ENOTFOUND),
 * a directory (AVS_EINVAL), unreadable (AVS_EIO), empty or not a media file
 * (AVS_EFORMAT), no audio stream (AVS_ENOTFOUND), no decoder
 * (AVS_EUNSUPPORTED), bad options (AVS_EINVAL). opts may be NULL. */
int avs_track_open(const char *path, const avs_track_opts *opts, avs_track **out);
int avs_track_rate(const avs_track *t);
int avs_track_channels(const avs_track *t);
/* The stream's own rate and channels, before resampling. */
int avs_track_source_rate(const avs_track *t);
int avs_track_source_channels(const avs_track *t);
/* Expected output frames (from the container's duration; 0 when unknown). */
int64_t avs_track_frames_hint(const avs_track *t);
/* Reads up to max_frames interleaved frames into buf. Returns the frame count
 * (> 0), 0 at the end of the track, or a negative AVS_E code. Decoded samples
 * are checked: NaN/Inf is an error. */
int64_t avs_track_read(avs_track *t, float *buf, int64_t max_frames);
void avs_track_free(avs_track **t);

/* The whole track (from start, for duration) in one buffer. Zero decoded
 * frames is an error ("audio track has no samples"). */
int avs_track_load(const char *path, const avs_track_opts *opts, avs_audio **out);

/* Any audio: an audio file libsndfile reads (WAV, FLAC, OGG, ...), else the
 * audio track of a media file through FFmpeg (mp3, m4a, mp4, mkv, ...).
 * rate 0 / channels 0 keep the file's; channels 1 down-mixes to the mean.
 * Other channel counts than 0, 1 or the file's go through FFmpeg's rematrix.
 * A file neither library reads is refused as avs_track_open refuses it. */
int avs_audio_load(const char *path, int rate, int channels, avs_audio **out);

/* Resamples a buffer with libswresample (same channels). A copy when the rate
 * already matches. */
int avs_audio_resample(const avs_audio *in, int rate, avs_audio **out);

#endif
