/* prof.h -- the packet path's stage clock (ward analyze --profile-stages).
 * In: laps taken by the packet thread at each stage boundary (only when
 * profiling is on: otherwise nothing here runs, one branch per stage).
 * Out: time per stage, in ticks of a cheap counter (the TSC on x86-64, no
 * system call; elsewhere CLOCK_MONOTONIC through the vDSO), turned into
 * nanoseconds by a calibration against CLOCK_MONOTONIC over the run.
 * A lap charges the time since the previous lap to one stage, less what
 * nested work (alert output inside a detector) charged to itself
 * meanwhile, so every tick is charged once. Memory: inline, no state of
 * its own outside wd_prof_t. */
#ifndef WD_ENGINE_PROF_H
#define WD_ENGINE_PROF_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define WD_PROF_TSC 1
#endif

static inline uint64_t wd_prof_mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline uint64_t wd_prof_ticks(void) {
#ifdef WD_PROF_TSC
  return __rdtsc();
#else
  return wd_prof_mono_ns();
#endif
}

typedef struct wd_prof {
  uint64_t last;   /* ticks at the previous lap */
  uint64_t nested; /* ticks charged by nested work since that lap */
} wd_prof_t;

/* Charges the ticks since the previous lap (less nested work) to *acc. */
static inline void wd_prof_lap(wd_prof_t *p, uint64_t *acc) {
  uint64_t now = wd_prof_ticks();
  uint64_t d = now - p->last;
  *acc += d > p->nested ? d - p->nested : 0;
  p->nested = 0;
  p->last = now;
}

/* Charges the ticks since start to *acc as nested work (not charged again
 * to the stage around it). */
static inline void wd_prof_nested(wd_prof_t *p, uint64_t start, uint64_t *acc) {
  uint64_t d = wd_prof_ticks() - start;
  *acc += d;
  p->nested += d;
}

#endif
