/* aveval verbs: one file per verb (sep.c, ...), dispatched by main.c.
 * A verb gets the whole argv (argv[1] is the verb) and returns the exit code. */
#ifndef AVS_APP_AVEVAL_H
#define AVS_APP_AVEVAL_H

int aveval_sep(int argc, char **argv);
/* aveval sep -m MODEL MANIFEST (sep_model.c). */
int aveval_sep_model(int argc, char **argv);
int aveval_action(int argc, char **argv);
/* aveval loc -m MODEL MANIFEST (loc.c; a clip's frame, window and boxes: loc_clip.c). */
int aveval_loc(int argc, char **argv);

#endif
