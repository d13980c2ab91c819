/* Threads: how many CPUs there are (the default of ge_limits.max_threads)
 * and the one pool every threaded batch runs on. */
#ifndef GE_CORE_THREADS_H
#define GE_CORE_THREADS_H
#include <stddef.h>

/* CPUs this process may run on (its affinity mask); 1 when unknown. */
int ge_cpus_available(void);

/* Most threads one batch uses. */
#define GE_POOL_MAXTHREADS 8

typedef void (*ge_task_fn)(void *ctx, unsigned thread, size_t task);

/* Runs fn(ctx, thread, task) for every task 0..ntasks-1 on up to nthreads
 * threads (GE_POOL_MAXTHREADS at most), the caller's being thread 0, and
 * returns when all have run. Each thread takes the next task when it is
 * done with one, so a thread that a busy CPU slows takes fewer; the tasks
 * of a thread that cannot start go to the others. */
void ge_pool_run(unsigned nthreads, size_t ntasks, ge_task_fn fn, void *ctx);
#endif
