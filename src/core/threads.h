/* The default of ge_limits.max_threads: batch lookups, and symbolize's
 * parsing and formatting, use more than the caller's thread only when the
 * process may run on more than one CPU. */
#ifndef GE_CORE_THREADS_H
#define GE_CORE_THREADS_H

/* CPUs this process may run on (its affinity mask); 1 when unknown. */
int ge_cpus_available(void);
#endif
