/* avloc verbs: one file per verb, dispatched by main.c (argv[1] is the verb). */
#ifndef AVS_APP_AVLOC_H
#define AVS_APP_AVLOC_H

int avloc_heatmap(int argc, char **argv);

#endif
