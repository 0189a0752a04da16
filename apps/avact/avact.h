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

/* Class names (see labels.c): `spec` is a file (one name per line), a shipped
 * list's name (kinetics400, ucf101), or NULL for the shipped list with
 * `classes` names (else NULL: numbers are printed). */
char **avact_labels_load(const char *spec, int classes, bool explicit_path);
/* The names a model file carries (metadata "labels", written by avtrain), or NULL. */
char **avact_labels_of_model(const avs_action_model *m);
void avact_labels_free(char **names, int classes);

#endif
