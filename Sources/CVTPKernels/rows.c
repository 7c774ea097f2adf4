// Exponential-heavy row kernels (softmax rows, the attention gradient row, SwiGLU and GELU forward and backward), written
// once with the compiler's vector extensions and compiled three times: for AVX-512 (one 16-lane register per
// vector), for AVX2+FMA (two 8-lane registers) and for the baseline ISA. The first call picks the widest variant
// this CPU runs (VTP_ISA=avx2 or VTP_ISA=baseline caps it, to measure what the wider builds add).
//
// The exponential is the one of VectorMath.exp in VTPTensor (Cody–Waite reduction, degree-6 Taylor polynomial,
// 2^k through the exponent bits; 0 below -87.3, clamped above 88.7), so results agree with the Swift kernels to
// rounding (the C compiler may fuse multiply-adds).
#include "cvtpkernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef float vf __attribute__((vector_size(64), aligned(4)));
typedef int32_t vi __attribute__((vector_size(64), aligned(4)));
#define LANES 16

// Helpers are macros (statement expressions), not functions: a function taking or returning a 64-byte vector has a
// different calling convention with and without AVX-512, which the compiler rejects in the AVX2 and baseline builds.
#define SPLAT(x) ((vf){0} + (float)(x))
#define LOAD(p) (*(const vf *)(p))
#define STORE(p, v) (*(vf *)(p) = (v))
// The first n (< 16) lanes from p, the rest `fill`; and the matching partial store.
#define LOAD_PART(p, n, fill) ({ float t_[LANES]; for (int i_ = 0; i_ < LANES; i_++) t_[i_] = (fill); \
                                 memcpy(t_, (p), (size_t)(n) * sizeof(float)); LOAD(t_); })
#define STORE_PART(p, v, n) do { float t_[LANES]; STORE(t_, (v)); memcpy((p), t_, (size_t)(n) * sizeof(float)); } while (0)
// The next min(n − j, 16) lanes from p + j (the rest 0), and the matching store: one loop serves a row and its tail.
#define WIDTH(n, j) ((n) - (j) < LANES ? (n) - (j) : LANES)
#define LOAD_N(p, w) ((w) == LANES ? LOAD(p) : LOAD_PART(p, w, 0))
#define STORE_N(p, v, w) do { if ((w) == LANES) STORE(p, v); else STORE_PART(p, v, w); } while (0)
#define BLEND(mask, yes, no) ((vf)(((vi)(yes) & (mask)) | ((vi)(no) & ~(mask))))
#define HMAX(v) ({ vf v_ = (v); float m_ = v_[0]; for (int i_ = 1; i_ < LANES; i_++) m_ = v_[i_] > m_ ? v_[i_] : m_; m_; })
#define HSUM(v) ({ vf v_ = (v); float s_ = 0; for (int i_ = 0; i_ < LANES; i_++) s_ += v_[i_]; s_; })

// 1.5·2^23 (bits 0x4B400000): adding it rounds to an integer held in the low mantissa bits.
#define VEXP(xin) ({                                                                                             \
    vf x_ = (xin);                                                                                             \
    vf xc_ = BLEND(x_ < SPLAT(-87.3f), SPLAT(-87.3f), x_);                                                     \
    xc_ = BLEND(xc_ > SPLAT(88.7f), SPLAT(88.7f), xc_);                                                        \
    vf t_ = xc_ * 1.44269504f + 12582912.0f;                                                                   \
    vf k_ = t_ - 12582912.0f;                                                                                  \
    vf r_ = xc_ - k_ * 0.69314575f - k_ * 1.4286068e-6f;                                                       \
    vf p_ = SPLAT(0.0013888889f);                                                                              \
    p_ = p_ * r_ + 0.008333333f;                                                                               \
    p_ = p_ * r_ + 0.041666668f;                                                                               \
    p_ = p_ * r_ + 0.16666667f;                                                                                \
    p_ = p_ * r_ + 0.5f;                                                                                       \
    p_ = p_ * r_ + 1.0f;                                                                                       \
    p_ = p_ * r_ + 1.0f;                                                                                       \
    vf scale_ = (vf)((((vi)t_ - 0x4B400000) + 127) << 23);                                                     \
    BLEND(x_ < SPLAT(-87.3f), SPLAT(0.0f), p_ * scale_);                                                       \
})
#define VSIGMOID(x) (1.0f / (1.0f + VEXP(-(x))))
#define VABS(x) ((vf)((vi)(x) & 0x7FFFFFFF))
// erf: Abramowitz & Stegun 7.1.26 (absolute error < 5e-7 with this exponential), as VectorMath.erf.
#define VERF(xin) ({                                                                                             \
    vf xe_ = (xin), ae_ = VABS(xe_);                                                                           \
    vf te_ = 1.0f / (1.0f + 0.3275911f * ae_);                                                                 \
    vf ye_ = SPLAT(1.061405429f);                                                                              \
    ye_ = ye_ * te_ - 1.453152027f;                                                                            \
    ye_ = ye_ * te_ + 1.421413741f;                                                                            \
    ye_ = ye_ * te_ - 0.284496736f;                                                                            \
    ye_ = ye_ * te_ + 0.254829592f;                                                                            \
    ye_ = ye_ * te_;                                                                                           \
    vf re_ = 1.0f - ye_ * VEXP(-(ae_ * ae_));                                                                  \
    BLEND(xe_ < SPLAT(0.0f), -re_, re_);                                                                       \
})
// tanh through e^(-2|x|), with the odd series below |x| = 0.125 (as VectorMath.tanh).
#define VTANH(xin) ({                                                                                            \
    vf xt_ = (xin), at_ = VABS(xt_);                                                                           \
    vf lt_ = BLEND(at_ > SPLAT(20.0f), SPLAT(20.0f), at_);                                                     \
    vf et_ = VEXP(-2.0f * lt_);                                                                                \
    vf rt_ = (1.0f - et_) / (1.0f + et_);                                                                      \
    vf a2_ = at_ * at_;                                                                                        \
    vf pt_ = 0.13333333f - a2_ * 0.053968254f;                                                                 \
    pt_ = -0.33333334f + a2_ * pt_;                                                                            \
    vf st_ = at_ * (1.0f + a2_ * pt_);                                                                         \
    rt_ = BLEND(at_ < SPLAT(0.125f), st_, rt_);                                                                \
    BLEND(xt_ < SPLAT(0.0f), -rt_, rt_);                                                                       \
})
// GELU and its derivative, exact (erf) or tanh-approximated, as Activation in VTPTensor.
#define VGELU(x, approx) ((approx)                                                                               \
    ? 0.5f * (x) * (1.0f + VTANH(0.79788456f * ((x) + 0.044715f * (x) * (x) * (x))))                          \
    : 0.5f * (x) * (1.0f + VERF((x) * 0.70710678f)))
#define VGELU_GRAD(xin, approx) ({                                                                               \
    vf xg_ = (xin), rg_;                                                                                       \
    if (approx) {                                                                                              \
        vf x2_ = xg_ * xg_;                                                                                    \
        vf tg_ = VTANH(0.79788456f * (xg_ + 0.044715f * x2_ * xg_));                                          \
        vf du_ = 0.79788456f * (1.0f + 0.134145f * x2_);                                                       \
        rg_ = 0.5f * (1.0f + tg_) + 0.5f * xg_ * (1.0f - tg_ * tg_) * du_;                                     \
    } else {                                                                                                   \
        rg_ = 0.5f * (1.0f + VERF(xg_ * 0.70710678f)) + xg_ * (0.39894228f * VEXP(-0.5f * xg_ * xg_));       \
    }                                                                                                          \
    rg_;                                                                                                       \
})

// The kernels' bodies, instantiated per ISA below.
#define DEFINE_ROWS(SUFFIX, TARGET)                                                                              \
    TARGET static float softmax_row_##SUFFIX(const float *x, float *y, long n) {                              \
        vf m = SPLAT(-INFINITY);                                                                               \
        long j = 0;                                                                                            \
        for (; j + LANES <= n; j += LANES) { vf v = LOAD(x + j); m = BLEND(v > m, v, m); }                    \
        float mx = HMAX(m);                                                                                    \
        for (; j < n; j++) mx = x[j] > mx ? x[j] : mx;                                                         \
        if (mx == -INFINITY) { for (j = 0; j < n; j++) y[j] = 0; return -INFINITY; }                           \
        vf sum = SPLAT(0);                                                                                     \
        vf mv = SPLAT(mx);                                                                                     \
        for (j = 0; j + LANES <= n; j += LANES) { vf e = VEXP(LOAD(x + j) - mv); STORE(y + j, e); sum += e; }  \
        if (j < n) { vf e = VEXP(LOAD_PART(x + j, n - j, -INFINITY) - mv); STORE_PART(y + j, e, n - j); sum += e; } \
        float total = HSUM(sum);                                                                               \
        vf inv = SPLAT(1.0f / total);                                                                          \
        for (j = 0; j + LANES <= n; j += LANES) STORE(y + j, LOAD(y + j) * inv);                               \
        for (; j < n; j++) y[j] *= 1.0f / total;                                                               \
        return mx + logf(total);                                                                               \
    }                                                                                                          \
    TARGET static void attention_grad_row_##SUFFIX(float *s, float *g, long n, long limit, float lse, float dsum, \
                                                   float scale) {                                              \
        if (lse == -INFINITY) limit = 0;                                                                       \
        vf lv = SPLAT(lse), dv = SPLAT(dsum);                                                                  \
        long j = 0;                                                                                            \
        for (; j + LANES <= limit; j += LANES) {                                                               \
            vf p = VEXP(LOAD(s + j) - lv);                                                                     \
            STORE(s + j, p);                                                                                   \
            STORE(g + j, p * (LOAD(g + j) - dv) * scale);                                                      \
        }                                                                                                      \
        if (j < limit) {                                                                                       \
            vf p = VEXP(LOAD_PART(s + j, limit - j, -INFINITY) - lv);                                          \
            STORE_PART(s + j, p, limit - j);                                                                   \
            STORE_PART(g + j, p * (LOAD_PART(g + j, limit - j, 0) - dv) * scale, limit - j);                   \
        }                                                                                                      \
        for (j = limit; j < n; j++) s[j] = g[j] = 0;                                                           \
    }                                                                                                          \
    TARGET static void swiglu_##SUFFIX(const float *a, const float *b, float *out, long n) {                   \
        for (long j = 0; j < n; j += LANES) {                                                                  \
            long w = WIDTH(n, j);                                                                              \
            vf av = LOAD_N(a + j, w);                                                                          \
            STORE_N(out + j, av * VSIGMOID(av) * LOAD_N(b + j, w), w);                                         \
        }                                                                                                      \
    }                                                                                                          \
    TARGET static void gelu_##SUFFIX(const float *x, float *y, long n, int approx) {                          \
        for (long j = 0; j < n; j += LANES) {                                                                  \
            long w = WIDTH(n, j);                                                                              \
            vf xv = LOAD_N(x + j, w);                                                                          \
            STORE_N(y + j, VGELU(xv, approx), w);                                                              \
        }                                                                                                      \
    }                                                                                                          \
    TARGET static void gelu_backward_##SUFFIX(const float *g, const float *x, float *dx, long n, int approx) { \
        for (long j = 0; j < n; j += LANES) {                                                                  \
            long w = WIDTH(n, j);                                                                              \
            STORE_N(dx + j, LOAD_N(g + j, w) * VGELU_GRAD(LOAD_N(x + j, w), approx), w);                       \
        }                                                                                                      \
    }                                                                                                          \
    TARGET static void swiglu_backward_##SUFFIX(const float *g, const float *a, const float *b, float *da,     \
                                                float *db, long n) {                                           \
        for (long j = 0; j < n; j += LANES) {                                                                  \
            long w = WIDTH(n, j);                                                                              \
            vf gv = LOAD_N(g + j, w), av = LOAD_N(a + j, w), bv = LOAD_N(b + j, w);                            \
            vf s = VSIGMOID(av);                                                                               \
            vf ds = s * (1.0f + av * (1.0f - s));                                                              \
            STORE_N(da + j, gv * bv * ds, w);                                                                  \
            STORE_N(db + j, gv * av * s, w);                                                                   \
        }                                                                                                      \
    }

#if defined(__x86_64__)
DEFINE_ROWS(avx512, __attribute__((target("avx512f"))))
DEFINE_ROWS(avx2, __attribute__((target("avx2,fma"))))
#endif
DEFINE_ROWS(base, )

struct rows_impl {
    float (*softmax_row)(const float *, float *, long);
    void (*attention_grad_row)(float *, float *, long, long, float, float, float);
    void (*swiglu)(const float *, const float *, float *, long);
    void (*swiglu_backward)(const float *, const float *, const float *, float *, float *, long);
    void (*gelu)(const float *, float *, long, int);
    void (*gelu_backward)(const float *, const float *, float *, long, int);
    const char *isa;
};

static const struct rows_impl base_impl = {softmax_row_base, attention_grad_row_base, swiglu_base,
                                            swiglu_backward_base, gelu_base, gelu_backward_base, "baseline"};
#if defined(__x86_64__)
static const struct rows_impl avx512_impl = {softmax_row_avx512, attention_grad_row_avx512, swiglu_avx512,
                                              swiglu_backward_avx512, gelu_avx512, gelu_backward_avx512, "AVX-512"};
static const struct rows_impl avx2_impl = {softmax_row_avx2, attention_grad_row_avx2, swiglu_avx2, swiglu_backward_avx2,
                                           gelu_avx2, gelu_backward_avx2, "AVX2"};
#endif
static const struct rows_impl *chosen;

// The widest variant this CPU runs, no wider than `cap` ("avx2", "baseline"; NULL: no cap).
static const struct rows_impl *widest(const char *cap) {
#if defined(__x86_64__)
    uint32_t f = vtp_cpu_features();
    int allow512 = !cap || (strcmp(cap, "avx2") != 0 && strcmp(cap, "baseline") != 0);
    int allow2 = !cap || strcmp(cap, "baseline") != 0;
    if ((f & VTP_CPU_AVX512F) && allow512) return &avx512_impl;
    if ((f & VTP_CPU_AVX2_FMA) && allow2) return &avx2_impl;
#else
    (void)cap;
#endif
    return &base_impl;
}

static const struct rows_impl *impl(void) {
    const struct rows_impl *c = __atomic_load_n(&chosen, __ATOMIC_ACQUIRE);
    if (c) return c;
    c = widest(getenv("VTP_ISA"));
    __atomic_store_n(&chosen, c, __ATOMIC_RELEASE);
    return c;
}

int vtp_rows_use(const char *isa) {
    const struct rows_impl *c = isa ? NULL : widest(getenv("VTP_ISA"));
    if (isa && strcmp(isa, "baseline") == 0) c = &base_impl;
#if defined(__x86_64__)
    uint32_t f = vtp_cpu_features();
    if (isa && strcmp(isa, "AVX2") == 0 && (f & VTP_CPU_AVX2_FMA)) c = &avx2_impl;
    if (isa && strcmp(isa, "AVX-512") == 0 && (f & VTP_CPU_AVX512F)) c = &avx512_impl;
#endif
    if (!c) return 0;
    __atomic_store_n(&chosen, c, __ATOMIC_RELEASE);
    return 1;
}

const char *vtp_rows_isa(void) { return impl()->isa; }

float vtp_softmax_row(const float *x, float *y, long n) { return impl()->softmax_row(x, y, n); }

void vtp_attention_grad_row(float *s, float *g, long n, long limit, float lse, float dsum, float scale) {
    impl()->attention_grad_row(s, g, n, limit, lse, dsum, scale);
}

void vtp_swiglu(const float *a, const float *b, float *out, long n) { impl()->swiglu(a, b, out, n); }

void vtp_swiglu_backward(const float *g, const float *a, const float *b, float *da, float *db, long n) {
    impl()->swiglu_backward(g, a, b, da, db, n);
}

void vtp_gelu(const float *x, float *y, long n, int approximate) { impl()->gelu(x, y, n, approximate); }

void vtp_gelu_backward(const float *g, const float *x, float *dx, long n, int approximate) {
    impl()->gelu_backward(g, x, dx, n, approximate);
}
