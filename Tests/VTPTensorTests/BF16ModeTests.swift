import Foundation
import Testing
@testable import VTPTensor

/// The BF16 mode's backends against reference loops written here: BF16-rounded operands (rounded by the scalar
/// conversion that DTypeTests checks bit-exactly), products accumulated in Double.
@Suite struct BF16ModeTests {
    /// op(A)·op(B) for one batch item, A [M, K] (stored [K, M] with `ta`), B [K, N] (stored [N, K] with `tb`),
    /// operands rounded to BF16 when `round`.
    func reference(_ a: Tensor, _ b: Tensor, m: Int, n: Int, k: Int, ta: Bool = false, tb: Bool = false,
                   round: Bool) -> [Float] {
        func r(_ x: Float) -> Double { Double(round ? BF16Kernels.round(x) : x) }
        var c = [Float](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n {
            var s = 0.0
            for p in 0..<k { s += r(a.data[ta ? p * m + i : i * k + p]) * r(b.data[tb ? j * k + p : p * n + j]) }
            c[i * n + j] = Float(s)
        } }
        return c
    }

    /// The backends worth checking on this CPU (the native one only where it exists).
    var backends: [BF16Backend] { BF16Backend.isNativeAvailable ? [.native, .emulated, .f32] : [.emulated, .f32] }

    @Test func productsRoundOperandsOnceInEveryLayout() {
        let (m, n, k) = (37, 29, 45)
        let a = randn([m, k], seed: 1), b = randn([k, n], seed: 2)
        let at = a.transposed().copy(), bt = b.transposed().copy()
        for backend in backends {
            let round = backend != .f32
            let ref = reference(a, b, m: m, n: n, k: k, round: round)
            let (plain, transA, transB, lin) = BF16Backend.with(backend) {
                MatmulMode.with(.bf16) {
                    (a.matmul(b), at.matmul(b, transposeA: true), a.matmul(bt, transposeB: true), a.linear(bt))
                }
            }
            for (name, y) in [("plain", plain), ("transA", transA), ("transB", transB), ("linear", lin)] {
                #expect(maxAbsDifference(y, ref) < 2e-5, "\(backend) \(name)")
            }
            // The rounding is visible: F32 and BF16-operand results differ by far more than the tolerance.
            if round { #expect(maxAbsDifference(plain, reference(a, b, m: m, n: n, k: k, round: false)) > 1e-3) }
        }
    }

    @Test func batchedProductsMatchPerItemReference() {
        let a = randn([3, 17, 40], seed: 3), b = randn([3, 40, 19], seed: 4)
        for backend in backends {
            let y = BF16Backend.with(backend) { MatmulMode.with(.bf16) { a.matmul(b) } }
            for i in 0..<3 {
                let ai = a.slice(axis: 0, i..<(i + 1)).reshaped([17, 40]), bi = b.slice(axis: 0, i..<(i + 1)).reshaped([40, 19])
                let ref = reference(ai, bi, m: 17, n: 19, k: 40, round: backend != .f32)
                #expect(maxAbsDifference(y.slice(axis: 0, i..<(i + 1)).reshaped([17, 19]), ref) < 2e-5, "\(backend) item \(i)")
            }
        }
    }

    /// A weight's BF16 copy is reused between products and remade after the optimizer writes the weight.
    @Test func weightCopiesFollowOptimizerUpdates() {
        let x = randn([6, 33], seed: 5), w = randn([21, 33], seed: 6)
        let grad = randn([21, 33], seed: 7), m = Tensor.zeros([21, 33]), v = Tensor.zeros([21, 33])
        for backend in backends {
            let round = backend != .f32
            BF16Backend.with(backend) {
                MatmulMode.with(.bf16) {
                    let before = x.linear(w)
                    #expect(maxAbsDifference(before, reference(x, w, m: 6, n: 21, k: 33, tb: true, round: round)) < 2e-5)
                    OptimizerKernels.adamw(param: w, grad: grad, m: m, v: v, lr: 0.05, beta1: 0.9, beta2: 0.999, eps: 1e-8,
                                           weightDecay: 0, biasCorrection1: 0.1, biasCorrection2: 0.001)
                    let after = x.linear(w)
                    #expect(maxAbsDifference(after, before) > 1e-2, "the update changes the product")
                    #expect(maxAbsDifference(after, reference(x, w, m: 6, n: 21, k: 33, tb: true, round: round)) < 2e-5, "\(backend)")
                }
            }
        }
    }

    /// The BF16 copies that producing kernels write in their epilogue (norm, fused attention output, SwiGLU, and in
    /// the backward pass the SwiGLU and qkv gradients) are exactly the ones a separate rounding pass makes: a block
    /// of a transformer gives bit-identical outputs and parameter gradients with and without them.
    @Test func epilogueRoundingEqualsSeparatePass() {
        guard BF16Backend.isNativeAvailable else { return }
        var rng = RNG(seed: 77)
        let (b, n, w, heads, hidden) = (2, 9, 32, 4, 48)
        let x = Tensor.randomNormal([b, n, w], rng: &rng)
        let params = [[3 * w, w], [w, w], [hidden, w], [hidden, w], [w, hidden]].map {
            Tensor.randomNormal($0, std: 0.2, rng: &rng).requiringGrad()
        }
        let ang = Tensor.randomNormal([n - 1, w / heads], rng: &rng)
        let rope = HeadRope(sin: Tensor(ang.scalars.map { Foundation.sin($0) }, shape: ang.shape),
                            cos: Tensor(ang.scalars.map { Foundation.cos($0) }, shape: ang.shape), prefix: 1)
        func run(fused: Bool) -> [Tensor] {
            BF16Copies.fusedRounding = fused
            defer { BF16Copies.fusedRounding = true }
            return BF16Backend.with(.native) {
                MatmulMode.with(.bf16) {
                    let h = x.layerNorm(weight: nil, bias: nil, eps: 1e-5)
                    let a = x + Tensor.attention(qkv: h.linear(params[0]), heads: heads, rope: rope).linear(params[1])
                    let m = a.rmsNorm(weight: nil, eps: 1e-5)
                    let y = a + m.linear(params[2]).swiglu(m.linear(params[3])).linear(params[4])
                    let grads = (y * y).sum().backward()
                    return [y.detached()] + params.map { grads[$0]! }
                }
            }
        }
        let fused = run(fused: true), separate = run(fused: false)
        for (i, (f, s)) in zip(fused, separate).enumerated() {
            #expect(maxAbsDifference(f, s) == 0, "tensor \(i): \(maxAbsDifference(f, s))")
        }
    }

    /// Attention in the BF16 mode: the native kernels (BF16 QKᵀ and PV, F32 softmax) agree with the emulation,
    /// forward and backward; both stay within BF16 error of F32.
    @Test func attentionAgreesAcrossBackends() {
        let shape = [2, 3, 21, 16]
        let q = randn(shape, seed: 8), k = randn(shape, seed: 9), v = randn(shape, seed: 10), g = randn(shape, seed: 11)
        func run(_ backend: BF16Backend?) -> [Tensor] {
            let (ql, kl, vl) = (q.requiringGrad(), k.requiringGrad(), v.requiringGrad())
            let body = { () -> [Tensor] in
                let o = Tensor.attention(q: ql, k: kl, v: vl)
                let grads = (o * g).sum().backward()
                return [o.detached(), grads[ql]!, grads[kl]!, grads[vl]!]
            }
            guard let backend else { return body() }
            return BF16Backend.with(backend) { MatmulMode.with(.bf16, body) }
        }
        let f32 = run(nil), emulated = run(.emulated)
        for (name, (e, f)) in zip(["out", "dq", "dk", "dv"], zip(emulated, f32)) {
            let err = maxAbsDifference(e, f)
            #expect(err > 0 && err < 0.1, "\(name): BF16 emulation vs F32 \(err)")
        }
        guard BF16Backend.isNativeAvailable else { return }
        let native = run(.native)
        for (name, (a, b)) in zip(["out", "dq", "dk", "dv"], zip(native, emulated)) {
            #expect(maxAbsDifference(a, b) < 1e-4, "\(name): native vs emulated BF16 \(maxAbsDifference(a, b))")
        }
    }

    /// The bulk rounding (the conversion instruction on AVX-512-BF16 CPUs, a SIMD loop elsewhere) matches the scalar
    /// conversion bit for bit on ties, NaN, infinities and ordinary values; F32 subnormals become ±0 where the
    /// instruction is used.
    @Test func bulkRoundingMatchesScalarConversion() {
        var bits: [UInt32] = [0x3F80_8000, 0x3F81_8000, 0x3F80_8001, 0x7F7F_FFFF, 0x7F80_0000, 0xFF80_0000, 0x7FC0_0001,
                              0xFFA0_0000, 0x0000_0001, 0x807F_FFFF, 0x0080_0000, 0]
        var rng = RNG(seed: 12)
        for _ in 0..<1000 { bits.append(UInt32(truncatingIfNeeded: rng.next())) }
        let src = bits.map { Float(bitPattern: $0) }
        var dst = [UInt16](repeating: 0, count: src.count)
        src.withUnsafeBufferPointer { s in dst.withUnsafeMutableBufferPointer { BF16Kernels.narrow(s.baseAddress!, $0.baseAddress!, s.count) } }
        for (x, got) in zip(src, dst) {
            let subnormal = x.isSubnormal && BF16Kernels.hasConvertInstruction
            let want = subnormal ? UInt16(x.sign == .minus ? 0x8000 : 0) : DTypeConversion.bf16(fromFloat: x)
            #expect(got == want, "\(x.bitPattern): \(got) ≠ \(want)")
        }
    }

    /// The run-time CPU check agrees with the kernel's view of the CPU in /proc/cpuinfo (Linux only).
    @Test func cpuFeaturesMatchProcCpuinfo() throws {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else {
            print("BF16ModeTests: /proc/cpuinfo not readable; CPU feature check skipped")
            return
        }
        let flags = Set(line.split(separator: ":")[1].split(separator: " ").map(String.init))
        let cpu = CPUInfo.current
        #expect(cpu.hasAVX512F == flags.contains("avx512f"))
        #expect(cpu.hasAVX512BF16 == flags.contains("avx512_bf16"))
        #expect(cpu.hasAMXBF16 == flags.contains("amx_bf16"))
        #expect(cpu.hasAVX2FMA == (flags.contains("avx2") && flags.contains("fma")))
        let env = ProcessInfo.processInfo.environment
        if env["VTP_EMULATE_BF16"] == nil && env["VTP_BF16_BACKEND"] == nil {
            #expect(BF16Backend.processDefault == (cpu.hasNativeBF16 ? .native : .f32))
        }
    }
}
