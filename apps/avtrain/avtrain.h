/* avtrain: trains AVS models, one file per verb on the trainer core (nn/trainer.h). */
#ifndef AVS_APPS_AVTRAIN_H
#define AVS_APPS_AVTRAIN_H

/* argv[0] is the verb; each returns the exit status. */
int avtrain_action(int argc, char **argv);
int avtrain_cosep(int argc, char **argv);
int avtrain_loc(int argc, char **argv);
int avtrain_sep(int argc, char **argv);
int avtrain_speech(int argc, char **argv);

#endif
