// A parallel-for on the OpenMP thread team that oneDNN's matrix products already use (GNU libgomp, found at run
// time with dlsym: nothing is linked). Running the elementwise kernels on the same team avoids two thread pools
// on the same cores: libgomp workers spin for a while after each product and would otherwise compete with the
// kernels that follow.
#include "cvtpkernels.h"

#include <dlfcn.h>
#include <stddef.h>

typedef void (*gomp_parallel_fn)(void (*)(void *), void *, unsigned, unsigned);
typedef int (*omp_int_fn)(void);

static gomp_parallel_fn gomp_parallel;
static omp_int_fn omp_in_parallel;
static int resolved;

static void resolve(void) {
    if (__atomic_load_n(&resolved, __ATOMIC_ACQUIRE)) return;
    gomp_parallel_fn p = (gomp_parallel_fn)dlsym(RTLD_DEFAULT, "GOMP_parallel");
    omp_int_fn q = (omp_int_fn)dlsym(RTLD_DEFAULT, "omp_in_parallel");
    if (p && q) { gomp_parallel = p; omp_in_parallel = q; }
    __atomic_store_n(&resolved, 1, __ATOMIC_RELEASE);
}

int vtp_omp_available(void) {
    resolve();
    return gomp_parallel != NULL;
}

struct job {
    vtp_chunk_fn body;
    void *context;
    long chunks;
    long next;
};

static void worker(void *arg) {
    struct job *j = arg;
    for (;;) {
        long c = __atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED);
        if (c >= j->chunks) return;
        j->body(j->context, c);
    }
}

int vtp_omp_parallel_chunks(long chunks, unsigned threads, vtp_chunk_fn body, void *context) {
    resolve();
    if (!gomp_parallel || omp_in_parallel()) return 0;
    struct job j = {body, context, chunks, 0};
    gomp_parallel(worker, &j, threads, 0);
    return 1;
}
