/* Thread control: one knob for OpenMP loops, oneDNN (which runs on the OpenMP
 * runtime in Debian's build) and OpenBLAS (LAPACK in the BSS Eval metrics;
 * every matrix product goes to oneDNN, see av/gemm.c). */
#ifndef AVS_THREADS_H
#define AVS_THREADS_H

#include <stddef.h>

/* n <= 0 means all cores. */
void avs_threads_set(int n);
int avs_threads_get(void);
/* One line on the compute back ends for logs and -v: oneDNN's version and the
 * instruction set its kernels use, OpenBLAS's version and kernel, the threads.
 * Writes at most size bytes into buf and returns buf. */
char *avs_backend_describe(char *buf, size_t size);

#endif
