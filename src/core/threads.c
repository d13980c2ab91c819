#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "threads.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

int ge_cpus_available(void) {
#ifdef CPU_COUNT
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
#endif
  return 1;
}

typedef struct pool {
  ge_task_fn fn;
  void *ctx;
  size_t ntasks;
  atomic_size_t next;
} pool;

typedef struct member {
  pool *p;
  unsigned id;
  pthread_t th;
} member;

static void take_tasks(pool *p, unsigned id) {
  for (;;) {
    size_t k = atomic_fetch_add(&p->next, 1);
    if (k >= p->ntasks) return;
    p->fn(p->ctx, id, k);
  }
}

static void *member_main(void *arg) {
  member *m = arg;
  take_tasks(m->p, m->id);
  return NULL;
}

void ge_pool_run(unsigned nthreads, size_t ntasks, ge_task_fn fn, void *ctx) {
  pool p = {fn, ctx, ntasks, 0};
  atomic_init(&p.next, 0);
  if (nthreads > GE_POOL_MAXTHREADS) nthreads = GE_POOL_MAXTHREADS;
  if ((size_t)nthreads > ntasks) nthreads = (unsigned)ntasks;
  member m[GE_POOL_MAXTHREADS];
  int started[GE_POOL_MAXTHREADS] = {0};
  for (unsigned t = 1; t < nthreads; t++) {
    m[t] = (member){.p = &p, .id = t};
    started[t] = pthread_create(&m[t].th, NULL, member_main, &m[t]) == 0;
  }
  take_tasks(&p, 0);
  for (unsigned t = 1; t < nthreads; t++)
    if (started[t]) pthread_join(m[t].th, NULL);
}
