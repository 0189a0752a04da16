/* Thread control: one knob for OpenMP loops, oneDNN (which runs on the OpenMP
 * runtime in Debian's build) and OpenBLAS (LAPACK in the BSS Eval metrics;
 * every matrix product goes to oneDNN, see av/gemm.c). */
#ifndef AVS_THREADS_H
#define AVS_THREADS_H

/* n <= 0 means all cores. */
void avs_threads_set(int n);
int avs_threads_get(void);

#endif
