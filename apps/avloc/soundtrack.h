/* The original soundtrack copied into avloc's overlay video, streamed: read
 * at its own rate and channels (more than 8 channels are mixed to mono) and
 * handed to the video writer in step with the frames, so neither the track
 * nor the muxer's queue grows with the video's length. */
#ifndef AVS_APP_AVLOC_SOUNDTRACK_H
#define AVS_APP_AVLOC_SOUNDTRACK_H

#include "video/encode.h"

typedef struct avloc_sound avloc_sound;

int avloc_sound_open(const char *path, avloc_sound **out);
void avloc_sound_free(avloc_sound **s);
int avloc_sound_rate(const avloc_sound *s);
int avloc_sound_channels(const avloc_sound *s);
/* Writes the track up to `until` seconds (< 0: to its end) into w. */
int avloc_sound_pass(avloc_sound *s, avs_video_writer *w, double until);

#endif
