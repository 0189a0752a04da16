/* avsep verbs: one file per verb, dispatched by main.c (argv[1] is the verb). */
#ifndef AVS_APP_AVSEP_H
#define AVS_APP_AVSEP_H

int avsep_separate(int argc, char **argv);
int avsep_faces(int argc, char **argv);
/* Verbs whose models are not in this version: one line, exit 1. */
int avsep_not_yet(int argc, char **argv);

#endif
