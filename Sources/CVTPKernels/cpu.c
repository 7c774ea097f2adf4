// Run-time CPU feature detection (cpuid + xgetbv).
#include "cvtpkernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static uint64_t read_xcr0(void) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

static uint32_t detect(void) {
    uint32_t a, b, c, d, out = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    const int osxsave = (c >> 27) & 1, fma = (c >> 12) & 1, avx = (c >> 28) & 1;
    if (!osxsave || !avx) return 0;
    const uint64_t xcr0 = read_xcr0();
    const int ymm = (xcr0 & 0x6) == 0x6;            // SSE + AVX state
    const int zmm = ymm && (xcr0 & 0xE0) == 0xE0;    // opmask, ZMM_Hi256, Hi16_ZMM
    const int tiles = (xcr0 & 0x60000) == 0x60000;   // XTILECFG, XTILEDATA
    if (__get_cpuid_max(0, 0) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    const int avx2 = (b >> 5) & 1, avx512f = (b >> 16) & 1, amx_bf16 = (d >> 22) & 1;
    uint32_t eax71, ebx71, ecx71, edx71;
    __cpuid_count(7, 1, eax71, ebx71, ecx71, edx71);
    const int avx512_bf16 = (eax71 >> 5) & 1;
    if (ymm && avx2 && fma) out |= VTP_CPU_AVX2_FMA;
    if (zmm && avx512f) out |= VTP_CPU_AVX512F;
    if (zmm && avx512f && avx512_bf16) out |= VTP_CPU_AVX512_BF16;
    if (tiles && amx_bf16) out |= VTP_CPU_AMX_BF16;
    return out;
}
#else
static uint32_t detect(void) { return 0; }
#endif

uint32_t vtp_cpu_features(void) {
    static int done = 0;
    static uint32_t features = 0;
    if (!__atomic_load_n(&done, __ATOMIC_ACQUIRE)) {
        features = detect();
        __atomic_store_n(&done, 1, __ATOMIC_RELEASE);
    }
    return features;
}
