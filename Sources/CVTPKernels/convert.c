// F32 → BF16 rounding with the AVX-512-BF16 conversion instruction (round to nearest even, NaN kept as a quiet
// NaN; the instruction flushes F32 subnormal inputs, |x| < 2^-126, to a signed zero).
#include "cvtpkernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

static uint16_t narrow_scalar(float x) {
    union { float f; uint32_t u; } v = {x};
    if ((v.u & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((v.u >> 16) | 0x40);
    if ((v.u & 0x7F800000u) == 0) return (uint16_t)((v.u >> 16) & 0x8000);  // subnormal → ±0, as the instruction
    return (uint16_t)((v.u + 0x7FFFu + ((v.u >> 16) & 1)) >> 16);
}

__attribute__((target("avx512f,avx512bf16,avx512bw,avx512vl")))
void vtp_narrow_bf16_avx512(const float *src, uint16_t *dst, long n) {
    long i = 0;
    for (; i + 32 <= n; i += 32) {
        __m512bh b = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(src + i + 16), _mm512_loadu_ps(src + i));
        _mm512_storeu_si512((void *)(dst + i), (__m512i)b);
    }
    for (; i + 16 <= n; i += 16) {
        __m256bh b = _mm512_cvtneps_pbh(_mm512_loadu_ps(src + i));
        _mm256_storeu_si256((__m256i *)(dst + i), (__m256i)b);
    }
    for (; i < n; i++) dst[i] = narrow_scalar(src[i]);
}
#else
void vtp_narrow_bf16_avx512(const float *src, uint16_t *dst, long n) { (void)src; (void)dst; (void)n; }
#endif
