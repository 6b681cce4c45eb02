// Time for budgets and benchmarks: one monotonic clock.
#ifndef STEPFORMER_CLOCK_H
#define STEPFORMER_CLOCK_H

// Milliseconds of the monotonic clock (CLOCK_MONOTONIC): only differences mean something.
double sf_now_ms(void);

#endif
