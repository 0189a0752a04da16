/* Thread control: one knob for OpenMP loops, OpenBLAS and oneDNN (which runs on
 * the OpenMP runtime in Debian's build), and the OpenBLAS kernel choice. */
#ifndef AVS_THREADS_H
#define AVS_THREADS_H

/* n <= 0 means all cores. */
void avs_threads_set(int n);
int avs_threads_get(void);

/* OpenBLAS 0.3.21 does not know Zen 5 and falls back to its Haswell kernel
 * (245 GFLOP/s against 440+ with the SkylakeX kernel on 2048^2 sgemm here).
 * OpenBLAS reads OPENBLAS_CORETYPE only when it is loaded, so when the CPU has
 * AVX-512 and the user set nothing, this sets it and re-executes the program
 * (once). Call first thing in main(); returns normally otherwise. */
void avs_blas_select_kernel(int argc, char **argv);

#endif
