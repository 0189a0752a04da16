/* A small, fast, seedable generator (xoshiro256**) for initialisation, dropout
 * and data shuffling. Not PyTorch's stream: tests compare distributions, not bits. */
#ifndef AVS_RNG_H
#define AVS_RNG_H

#include <stdint.h>

typedef struct avs_rng { uint64_t s[4]; } avs_rng;

void avs_rng_seed(avs_rng *r, uint64_t seed);
uint64_t avs_rng_u64(avs_rng *r);
float avs_rng_uniform(avs_rng *r);              /* [0, 1) */
float avs_rng_normal(avs_rng *r);               /* N(0, 1) */
uint32_t avs_rng_below(avs_rng *r, uint32_t n); /* [0, n) */

#endif
