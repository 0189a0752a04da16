/* The audio windows of a soundtrack, streamed: avs_track_read fills a sliding
 * buffer of one window plus a read chunk, so memory stays a few windows
 * whatever the soundtrack's length. Windows are asked in non-decreasing
 * order of their start; samples before 0 or past the end are zeros. */
#ifndef AVS_APP_AVLOC_AUDIO_WINDOW_H
#define AVS_APP_AVLOC_AUDIO_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

typedef struct avloc_audio avloc_audio;

/* The track of path, mono at rate Hz, windows of `samples` samples. */
int avloc_audio_open(const char *path, int rate, int samples, avloc_audio **out);
/* Windows of n samples held in memory (x is not copied: keep it alive). */
int avloc_audio_memory(const float *x, int64_t n, int samples, avloc_audio **out);
void avloc_audio_free(avloc_audio **a);
/* Samples [start, start + samples) into out. *silent: the window's peak is
 * below -80 dBFS (or it lies past the end). */
int avloc_audio_window(avloc_audio *a, int64_t start, float *out, bool *silent);

#endif
