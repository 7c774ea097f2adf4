#ifndef CVTPKERNELS_H
#define CVTPKERNELS_H
// ISA-specific kernels for VTPTensor. Each kernel carries its own function-level target attribute and is only
// called after a run-time check of the CPU (vtp_cpu_features), so one binary runs on every x86-64 CPU; on other
// architectures the functions exist and report the feature as absent.

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// CPU features the kernels dispatch on (bits of vtp_cpu_features()). A bit is set only when both the CPU and
/// the operating system (XSAVE state enabled in XCR0) support it.
#define VTP_CPU_AVX2_FMA 0x1u    // AVX2 and FMA3 (x86-64-v3)
#define VTP_CPU_AVX512F 0x2u     // AVX-512 Foundation (ZMM registers)
#define VTP_CPU_AVX512_BF16 0x4u // AVX-512 BF16 (vdpbf16ps, vcvtne2ps2bf16)
#define VTP_CPU_AMX_BF16 0x8u    // AMX tiles with BF16

/// The feature bits of this CPU (computed once with cpuid/xgetbv; 0 on non-x86 CPUs).
uint32_t vtp_cpu_features(void);

/// Runs `iterations` rounds of 12 independent FMA chains on 8-lane (AVX2) registers; returns a sum of the
/// chains so the work cannot be optimised away. FLOPs = iterations · 12 · 8 · 2. Requires VTP_CPU_AVX2_FMA.
float vtp_fma_loop_avx2(int64_t iterations);

/// The same with 16-lane (AVX-512) registers: FLOPs = iterations · 12 · 16 · 2. Requires VTP_CPU_AVX512F.
float vtp_fma_loop_avx512(int64_t iterations);

/// `iterations` rounds of 12 independent vdpbf16ps chains (each: 16 lanes × 2 BF16 products summed into F32):
/// FLOPs = iterations · 12 · 16 · 4. Requires VTP_CPU_AVX512_BF16.
float vtp_bf16_dot_loop_avx512(int64_t iterations);

/// dst[i] = src[i] rounded to BF16 (nearest even; NaN stays a quiet NaN; subnormal inputs become ±0, as the
/// vcvtne2ps2bf16 instruction does), i < n. Requires VTP_CPU_AVX512_BF16.
void vtp_narrow_bf16_avx512(const float *src, uint16_t *dst, long n);

/// Row kernels with run-time ISA dispatch (rows.c): the widest of AVX-512, AVX2+FMA and the baseline this CPU
/// runs, capped by the environment variable VTP_ISA (avx2 or baseline). Which one runs: vtp_rows_isa().
const char *vtp_rows_isa(void);

/// Selects the variant named `isa` ("AVX-512", "AVX2", "baseline") for every later call, where this CPU runs it
/// (returns 1; 0 and no change otherwise); NULL restores the default. For tests of every variant on one machine.
int vtp_rows_use(const char *isa);

/// y = softmax(x) over n values (y may be x); returns log Σ exp(x). A row of all −∞ gives zeros and −∞.
float vtp_softmax_row(const float *x, float *y, long n);

/// The attention backward row: for j < limit, s[j] ← P = exp(s[j] − lse) and g[j] ← P·(g[j] − dsum)·scale;
/// both 0 for limit ≤ j < n and for a row with lse = −∞.
void vtp_attention_grad_row(float *s, float *g, long n, long limit, float lse, float dsum, float scale);

/// out = a·sigmoid(a)·b (SwiGLU), n values.
void vtp_swiglu(const float *a, const float *b, float *out, long n);

/// SwiGLU's gradients: da = g·b·σ(a)(1 + a(1 − σ(a))), db = g·a·σ(a).
void vtp_swiglu_backward(const float *g, const float *a, const float *b, float *da, float *db, long n);

/// y = GELU(x): x·Φ(x), or with `approximate` ≠ 0 the tanh form 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))).
void vtp_gelu(const float *x, float *y, long n, int approximate);

/// dx = g·GELU'(x) (the same two forms).
void vtp_gelu_backward(const float *g, const float *x, float *dx, long n, int approximate);

/// One chunk of a parallel loop: `body(context, chunk)`.
typedef void (*vtp_chunk_fn)(void *context, long chunk);

/// Whether the GNU OpenMP runtime (libgomp, loaded with oneDNN) is in the process.
int vtp_omp_available(void);

/// Runs body(context, c) for every c in 0..<chunks on an OpenMP team of `threads` threads (the caller is one of
/// them); chunks are handed out dynamically. Returns 0, having run nothing, when libgomp is absent or the caller
/// is already inside an OpenMP parallel region (the caller then runs the loop itself).
int vtp_omp_parallel_chunks(long chunks, unsigned threads, vtp_chunk_fn body, void *context);

#ifdef __cplusplus
}
#endif
#endif
