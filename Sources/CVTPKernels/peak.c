// Peak-rate loops: independent FMA (or BF16 dot-product) chains that keep every FMA port busy. They are the
// yardsticks for GEMM efficiency (vtp-bench peak). Each function carries its own target attribute.
#include "cvtpkernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

// a ← a·m + c per chain: bounded because 0 < m < 1.
#define CHAINS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

__attribute__((target("avx2,fma"))) float vtp_fma_loop_avx2(int64_t iterations) {
    const __m256 m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
#define INIT(i) __m256 a##i = _mm256_set1_ps((float)(i + 1));
    CHAINS(INIT)
#undef INIT
    for (int64_t it = 0; it < iterations; it++) {
#define STEP(i) a##i = _mm256_fmadd_ps(a##i, m, c);
        CHAINS(STEP)
#undef STEP
    }
    __m256 s = _mm256_setzero_ps();
#define SUM(i) s = _mm256_add_ps(s, a##i);
    CHAINS(SUM)
#undef SUM
    float lanes[8];
    _mm256_storeu_ps(lanes, s);
    float total = 0;
    for (int i = 0; i < 8; i++) total += lanes[i];
    return total;
}

__attribute__((target("avx512f"))) float vtp_fma_loop_avx512(int64_t iterations) {
    const __m512 m = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
#define INIT(i) __m512 a##i = _mm512_set1_ps((float)(i + 1));
    CHAINS(INIT)
#undef INIT
    for (int64_t it = 0; it < iterations; it++) {
#define STEP(i) a##i = _mm512_fmadd_ps(a##i, m, c);
        CHAINS(STEP)
#undef STEP
    }
    __m512 s = _mm512_setzero_ps();
#define SUM(i) s = _mm512_add_ps(s, a##i);
    CHAINS(SUM)
#undef SUM
    return _mm512_reduce_add_ps(s);
}

__attribute__((target("avx512f,avx512bf16"))) float vtp_bf16_dot_loop_avx512(int64_t iterations) {
    // Products of small BF16 pairs (±2⁻¹⁶·…) with alternating signs keep the sums bounded.
    const __m512bh x = _mm512_cvtne2ps_pbh(_mm512_set1_ps(1.0f / 65536), _mm512_set1_ps(-1.0f / 65536));
    const __m512bh y = _mm512_cvtne2ps_pbh(_mm512_set1_ps(0.5f), _mm512_set1_ps(0.5f));
#define INIT(i) __m512 a##i = _mm512_set1_ps((float)(i + 1));
    CHAINS(INIT)
#undef INIT
    for (int64_t it = 0; it < iterations; it++) {
#define STEP(i) a##i = _mm512_dpbf16_ps(a##i, x, y);
        CHAINS(STEP)
#undef STEP
    }
    __m512 s = _mm512_setzero_ps();
#define SUM(i) s = _mm512_add_ps(s, a##i);
    CHAINS(SUM)
#undef SUM
    return _mm512_reduce_add_ps(s);
}
#undef CHAINS

#else
float vtp_fma_loop_avx2(int64_t iterations) { (void)iterations; return 0; }
float vtp_fma_loop_avx512(int64_t iterations) { (void)iterations; return 0; }
float vtp_bf16_dot_loop_avx512(int64_t iterations) { (void)iterations; return 0; }
#endif
