/* avact: action recognition on the command line. One file per verb. */
#ifndef AVS_APPS_AVACT_H
#define AVS_APPS_AVACT_H

#include <stdbool.h>

#include "video/models/registry.h"

/* argv[0] is the verb; each returns the exit status. */
int avact_info(int argc, char **argv);
int avact_classify(int argc, char **argv);

/* -m/--model: a model file, or (when arch_ok) a registered architecture name,
 * which gives that architecture with its default hyperparameters changed by
 * `hparams` ("key=value,...", may be NULL) and zero weights. Fails the app
 * with one line when neither. */
avs_action_model *avact_model_open(const char *spec, bool arch_ok, const char *hparams);

#endif
