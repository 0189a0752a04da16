/* Class names of action models, as arrays of strings in class order:
 *
 *   char **names; int n;
 *   if (avs_action_model_labels(model, &names, &n) == AVS_OK) { ... names[k] ... }
 *   avs_labels_free(&names, n);
 *
 * A model file may carry its names (metadata "labels", one per line, written
 * by avtrain); AVS also ships lists found through avs_data_path
 * (data/labels/kinetics400.txt in torchvision's order, ucf101.txt in
 * UCF101's classInd.txt order). */
#ifndef AVS_MODELS_LABELS_H
#define AVS_MODELS_LABELS_H

#include "video/models/registry.h"

/* The model's class names: its own list, else the shipped list with its class
 * count. *n is the model's class count. AVS_ENOTFOUND when neither exists; a
 * damaged own list (see below) is an error. */
int avs_action_model_labels(const avs_model *m, char ***names, int *n);
/* Checks the model's own list (metadata "labels") as avs_labels_load checks a
 * file: one name per class, none empty or repeated; errors name `path`.
 * AVS_OK when the model carries none. avs_action_model_load calls it. */
int avs_action_model_check_labels(const avs_model *m, const char *path);

/* A list from `spec`: a text file with one name per line, in class order, or
 * the name of a shipped list ("kinetics400", "ucf101"; a file of that name is
 * "./ucf101"). It must hold exactly `classes` names, none empty or repeated;
 * errors name the file and the line. */
int avs_labels_load(const char *spec, int classes, char ***names);
/* The shipped list with `classes` names; AVS_ENOTFOUND when none has that many. */
int avs_labels_shipped(int classes, char ***names);
/* Frees the n names and the array, and sets *names to NULL. */
void avs_labels_free(char ***names, int n);

#endif
