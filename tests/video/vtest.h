/* Shared helpers for the video tests: a scratch directory, test videos made
 * with our own writer (frames that carry their index as a bar code) or with the
 * ffmpeg CLI, and reading the index back. */
#ifndef AVS_TESTS_VIDEO_VTEST_H
#define AVS_TESTS_VIDEO_VTEST_H

#include <stdbool.h>
#include <stdint.h>

#include "tests/harness.h"
#include "video/video.h"

/* A fresh directory for this test's files: $AVS_BUILD_DIR/tests/video/out/<name> or /tmp. */
const char *vt_dir(const char *name);
/* The directory vt_dir made. */
const char *vt_dir_current(void);
/* dir/file in a static ring of buffers. */
const char *vt_path(const char *file);
/* True when the ffmpeg CLI runs; a failed check (once) when it does not: it
 * makes test inputs, so without it the test set-up is incomplete. */
bool vt_have_ffmpeg(void);
/* Runs "ffmpeg -v error -y <args>"; true on success, a failed check otherwise. */
bool vt_ffmpeg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Draws frame index i as 10 vertical bars (bit b white when set) over a
 * coloured background that varies with position. */
void vt_draw_index(uint8_t *rgb, int w, int h, int i);
/* Reads the bars back (the frame must be the whole picture, any size); -1 if unreadable. */
int vt_read_index(const uint8_t *rgb, int w, int h);
/* Writes n indexed frames of w x h at fps to path with our writer (audio: a
 * 440 Hz sine at 16 kHz mono when audio). Returns the writer's status. */
int vt_make_indexed(const char *path, int w, int h, double fps, int n, bool audio);

/* Wall clock seconds. */
double vt_now(void);

#endif
