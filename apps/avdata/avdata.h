/* avdata: the synthetic audio-visual benchmark (verbs in their own files). */
#ifndef AVS_APP_AVDATA_H
#define AVS_APP_AVDATA_H

int avdata_synth(int argc, char **argv);
int avdata_list(int argc, char **argv);
int avdata_check(int argc, char **argv);
int avdata_baseline(int argc, char **argv);

#endif
