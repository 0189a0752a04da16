/* An input video's streams, read before anything is created, so that a bad
 * input fails before any output exists. */
#ifndef AVS_APP_PROBE_H
#define AVS_APP_PROBE_H

#include "video/decode.h"

/* Opens path, prints what it holds with -v and closes it: its streams, size and
 * duration. A file that cannot be opened fails the app with one line. */
avs_video_info app_probe_video(const char *path);

#endif
