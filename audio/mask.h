/* Time-frequency masks and chunked resynthesis.
 *
 * Real masks act on magnitudes (Sound of Pixels): the ideal ratio mask
 * |S_k| / |S_mix| clamped to [0, max] and the binary mask |S_k| > thr |S_mix|
 * as training targets; a predicted mask times the mixture's magnitude, with
 * the mixture's phase, gives the source's spectrogram. Complex masks
 * (complex ratio masks of speech separation) multiply the complex mixture,
 * optionally compressed into (-K, K) with K (1 - e^{-C x}) / (1 + e^{-C x})
 * (Looking to Listen: K = 10, C = 0.1).
 *
 * Complex spectrograms are (re, im) pairs; n counts complex values. */
#ifndef AVS_MASK_H
#define AVS_MASK_H

#include <stdint.h>

/* mask = clamp(mag_src / mag_mix, 0, max_ratio); 0 where mag_mix is 0.
 * Sound of Pixels uses max_ratio 5. */
void avs_mask_ratio(const float *mag_src, const float *mag_mix, int64_t n, float max_ratio, float *mask);
/* mask = mag_src > thr * mag_mix ? 1 : 0 (Sound of Pixels: thr 0.5). */
void avs_mask_binary(const float *mag_src, const float *mag_mix, int64_t n, float thr, float *mask);
/* Masks among n_src sources from their magnitudes (or magnitude estimates),
 * mag[k * n + i]: share[k] = mag[k] / sum_j mag[j] (1 / n_src where the sum
 * is 0; the ratio mask of each source within their sum, Wiener-like when the
 * magnitudes are estimates). mask may be mag. */
void avs_mask_share(const float *mag, int n_src, int64_t n, float *mask);
/* mask[k] = 1 where source k is the largest (the first of equals) and the sum
 * is above 0, else 0: the binary mask of the dominant source. */
void avs_mask_dominant(const float *mag, int n_src, int64_t n, float *mask);
/* out = mask > thr ? 1 : 0 (binarizes a predicted mask). */
void avs_mask_threshold(const float *mask, int64_t n, float thr, float *out);

/* out (complex) = mask (real) * spec_mix (complex): the mixture's phase kept. */
void avs_mask_apply(const float *mask, const float *spec_mix, int64_t n, float *spec_out);
/* out = mask * mag (magnitudes). */
void avs_mask_apply_mag(const float *mask, const float *mag_mix, int64_t n, float *mag_out);

/* Complex ideal ratio mask: cmask = S_src / S_mix (0 where S_mix is 0). */
void avs_mask_complex_ideal(const float *spec_src, const float *spec_mix, int64_t n, float *cmask);
/* out = cmask * spec_mix (complex product). */
void avs_mask_complex_apply(const float *cmask, const float *spec_mix, int64_t n, float *spec_out);
/* Element-wise on 2n reals: K (1 - e^{-C x}) / (1 + e^{-C x}) and its inverse
 * -(1/C) log((K - y) / (K + y)) (|y| clipped just inside K). */
void avs_mask_compress(const float *x, int64_t n, float K, float C, float *y);
void avs_mask_decompress(const float *y, int64_t n, float K, float C, float *x);

/* Long signals chunk by chunk: fn sees windows of `chunk` samples every `hop`
 * samples, the last one flush with the end of the signal (never padded past
 * it, unless the whole signal is shorter than a chunk: then one chunk, padded
 * with zeros), and writes n_out signals of `chunk` samples (out[k * chunk +
 * i]); consecutive windows are cross-faded with a raised-cosine ramp over
 * their overlap (chunk - hop, more before the last) and normalized, so an
 * identity fn returns the input exactly. A model sees only whole windows of
 * the signal: one half padded with silence is a window unlike its training
 * ones (fusion/separate.h measures what that costs). `out` receives n_out signals of n samples
 * (out[k * n + i]). fn returns 0 or a negative AVS_E code that stops the run. */
typedef int (*avs_chunk_fn)(void *user, const float *in, int64_t chunk, int n_out, float *out);
/* Where those windows lie (also fusion/separate.h's): how many a signal of n samples takes, and
 * where window k starts (k x hop, the last at n - chunk; 0 when n <= chunk). */
int64_t avs_chunk_count(int64_t n, int64_t chunk, int64_t hop);
int64_t avs_chunk_start(int64_t n, int64_t chunk, int64_t hop, int64_t k);
int avs_mask_chunked(const float *x, int64_t n, int64_t chunk, int64_t hop, int n_out, avs_chunk_fn fn, void *user,
                     float *out);

#endif
