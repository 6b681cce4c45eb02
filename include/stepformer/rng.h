// Explicit-state random numbers (xoshiro256** seeded by splitmix64); no globals.
#ifndef STEPFORMER_RNG_H
#define STEPFORMER_RNG_H

#include <stdint.h>

struct rng {
    uint64_t s[4];
};

void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_u64(struct rng *r);
// Uniform in [0, 1).
float rng_uniform(struct rng *r);
// Standard normal (Box-Muller).
float rng_normal(struct rng *r);

#endif
