/* clock.h: seconds on a monotonic clock, for durations (progress, run
 * times, the grace period of a cancelled run). Never for dates: it has no
 * fixed origin, but it never jumps when the system time is set. */
#ifndef SWEEP_CLOCK_H
#define SWEEP_CLOCK_H

/* Seconds since an arbitrary fixed point (CLOCK_MONOTONIC). */
double clock_seconds(void);

#endif
