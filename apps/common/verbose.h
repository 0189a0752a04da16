/* What -v/--verbose prints in every app, one line each on stderr and nothing
 * without -v: the files opened (container, streams), the model (path,
 * architecture, hyperparameters, parameter count) and, once per run, the
 * compute back ends (oneDNN and its instruction set, OpenBLAS and its kernel,
 * threads). Apps call these where they open things; each is one line. */
#ifndef AVS_APP_VERBOSE_H
#define AVS_APP_VERBOSE_H

#include "nn/model.h"
#include "video/decode.h"

/* A free-form line, "<app>: <text>", with -v only. */
void app_verbose_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "model PATH: ARCH (title), N parameters, key=value ..." and the back ends. */
void app_verbose_model(const avs_model *m, const char *path);
/* "opened PATH: container, duration, #0 video h264 320x240 25 fps, #1 audio ..." */
void app_verbose_video(const char *path, const avs_video_info *in);
/* The back ends alone (apps without a model that still compute). */
void app_verbose_backend(void);

#endif
