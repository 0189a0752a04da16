/* aveval verbs: one file per verb (sep.c, ...), dispatched by main.c.
 * A verb gets the whole argv (argv[1] is the verb) and returns the exit code. */
#ifndef AVS_APP_AVEVAL_H
#define AVS_APP_AVEVAL_H

#include <stdbool.h>

#include "nn/model.h"

int aveval_sep(int argc, char **argv);
/* aveval sep -m MODEL MANIFEST (sep_model.c). */
int aveval_sep_model(int argc, char **argv);
/* aveval sep -m with a speech model (speech_model.c): the clips with the model's speaker count. */
int aveval_speech_model(const avs_model *m, const char *model_path, const char *manifest, int max, bool json);
/* aveval sep -m with a speech model (speech_model.c): the clips with the model's speaker count. */
int aveval_speech_model(const avs_model *m, const char *model_path, const char *manifest, int max, bool json);
int aveval_action(int argc, char **argv);
/* aveval loc -m MODEL MANIFEST (loc.c; a clip's frame, window and boxes: loc_clip.c). */
int aveval_loc(int argc, char **argv);

#endif
