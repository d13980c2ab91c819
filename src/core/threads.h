/* Whether a second thread is worth starting: batch lookups and formatting
 * split in two only when the process may run on two CPUs. */
#ifndef GE_CORE_THREADS_H
#define GE_CORE_THREADS_H

/* CPUs this process may run on (its affinity mask); 1 when unknown. */
int ge_cpus_available(void);
#endif
