/* avsep verbs: one file per verb, dispatched by main.c (argv[1] is the verb). */
#ifndef AVS_APP_AVSEP_H
#define AVS_APP_AVSEP_H

int avsep_separate(int argc, char **argv);
int avsep_faces(int argc, char **argv);
int avsep_speech(int argc, char **argv);
int avsep_coseparate(int argc, char **argv);
/* "a,b,c" into v (at most max numbers): the count, or -1 when not finite numbers. */
int avsep_parse_floats(const char *s, float *v, int max);
/* "x0,y0,x1,y1;x0,y0,x1,y1": boxes inside the w x h picture (at most max);
 * anything else is a usage error naming opt. Returns the count. */
int avsep_parse_boxes(const char *s, const char *opt, int w, int h, int max, float (*boxes)[4]);

#endif
