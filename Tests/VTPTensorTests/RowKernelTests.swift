import CVTPKernels
import Foundation
import Testing
@testable import VTPTensor

/// The C row kernels (rows.c) in every variant this CPU runs, against formulas evaluated in Double: lengths around
/// the 16-lane width, tails, fully masked rows, the causal limit.
@Suite(.serialized) struct RowKernelTests {
    static let variants = ["baseline", "AVX2", "AVX-512"]

    func withEachVariant(_ body: (String) -> Void) {
        defer { _ = vtp_rows_use(nil) }
        var ran = 0
        for isa in Self.variants where vtp_rows_use(isa) == 1 {
            #expect(String(cString: vtp_rows_isa()) == isa)
            body(isa)
            ran += 1
        }
        #expect(ran >= 1)
    }

    func values(_ n: Int, seed: UInt64, scale: Float = 3) -> [Float] {
        var rng = RNG(seed: seed)
        return Tensor.randomNormal([n], std: scale, rng: &rng).scalars
    }

    @Test func softmaxRowMatchesFormula() {
        withEachVariant { isa in
            for n in [1, 7, 15, 16, 17, 33, 257] {
                var x = values(n, seed: UInt64(n))
                if n > 3 { x[2] = -.infinity }
                var y = [Float](repeating: .nan, count: n)
                let lse = vtp_softmax_row(x, &y, n)
                let mx = Double(x.max()!), z = x.reduce(0.0) { $0 + Foundation.exp(Double($1) - mx) }
                #expect(abs(Double(lse) - (mx + Foundation.log(z))) < 1e-5 * max(1, abs(mx)), "\(isa) n \(n)")
                for j in 0..<n {
                    let ref = Foundation.exp(Double(x[j]) - mx) / z
                    #expect(abs(Double(y[j]) - ref) < 2e-6 * max(ref, 1e-3), "\(isa) n \(n) j \(j): \(y[j]) vs \(ref)")
                }
                // In place, as attention uses it.
                var inPlace = x
                _ = inPlace.withUnsafeMutableBufferPointer { vtp_softmax_row($0.baseAddress!, $0.baseAddress!, n) }
                #expect(inPlace == y, "\(isa) n \(n) in place")
            }
            let masked = [Float](repeating: -.infinity, count: 20)
            var out = [Float](repeating: .nan, count: 20)
            #expect(vtp_softmax_row(masked, &out, 20) == -.infinity)
            #expect(out.allSatisfy { $0 == 0 }, "\(isa): a fully masked row gives zeros")
        }
    }

    @Test func attentionGradientRowMatchesFormula() {
        withEachVariant { isa in
            for (n, limit) in [(17, 17), (40, 21), (257, 257), (5, 0)] {
                let s0 = values(n, seed: 100 + UInt64(n), scale: 1), g0 = values(n, seed: 200 + UInt64(n), scale: 1)
                var s = s0, g = g0
                let (lse, dsum, scale): (Float, Float, Float) = (1.3, -0.4, 0.125)
                vtp_attention_grad_row(&s, &g, n, limit, lse, dsum, scale)
                for j in 0..<n {
                    let p = j < limit ? Foundation.exp(Double(s0[j]) - Double(lse)) : 0
                    let ds = j < limit ? p * (Double(g0[j]) - Double(dsum)) * Double(scale) : 0
                    #expect(abs(Double(s[j]) - p) < 2e-6 * max(p, 1), "\(isa) P n \(n) j \(j)")
                    #expect(abs(Double(g[j]) - ds) < 2e-6 * max(abs(ds), 1), "\(isa) dS n \(n) j \(j)")
                }
            }
            var s = [Float](repeating: -.infinity, count: 18), g = values(18, seed: 7)
            vtp_attention_grad_row(&s, &g, 18, 18, -.infinity, 0.5, 1)
            #expect(s.allSatisfy { $0 == 0 } && g.allSatisfy { $0 == 0 }, "\(isa): a fully masked row has no gradient")
        }
    }

    @Test func swigluMatchesFormula() {
        withEachVariant { isa in
            for n in [3, 16, 35] {
                let a = values(n, seed: 300 + UInt64(n)), b = values(n, seed: 400 + UInt64(n)), g = values(n, seed: 500 + UInt64(n))
                var out = [Float](repeating: .nan, count: n), da = out, db = out
                vtp_swiglu(a, b, &out, n)
                vtp_swiglu_backward(g, a, b, &da, &db, n)
                for j in 0..<n {
                    let (x, y, gj) = (Double(a[j]), Double(b[j]), Double(g[j]))
                    let s = 1 / (1 + Foundation.exp(-x))
                    let refs = [x * s * y, gj * y * s * (1 + x * (1 - s)), gj * x * s]
                    for (name, (got, ref)) in zip(["out", "da", "db"], zip([out[j], da[j], db[j]], refs)) {
                        #expect(abs(Double(got) - ref) < 3e-6 * max(abs(ref), 1), "\(isa) \(name) n \(n) j \(j): \(got) vs \(ref)")
                    }
                }
            }
        }
    }

    @Test func geluMatchesFormula() {
        withEachVariant { isa in
            for n in [5, 16, 37] {
                let x = values(n, seed: 600 + UInt64(n), scale: 2.5), g = values(n, seed: 700 + UInt64(n))
                for approximate in [false, true] {
                    var y = [Float](repeating: .nan, count: n), dx = y
                    vtp_gelu(x, &y, n, approximate ? 1 : 0)
                    vtp_gelu_backward(g, x, &dx, n, approximate ? 1 : 0)
                    for j in 0..<n {
                        let v = Double(x[j])
                        let (f, df): (Double, Double)
                        if approximate {
                            let c = (2 / Double.pi).squareRoot(), u = c * (v + 0.044715 * v * v * v), t = Foundation.tanh(u)
                            (f, df) = (0.5 * v * (1 + t), 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * c * (1 + 3 * 0.044715 * v * v))
                        } else {
                            let cdf = 0.5 * (1 + Foundation.erf(v / 2.0.squareRoot())), pdf = Foundation.exp(-0.5 * v * v) / (2 * Double.pi).squareRoot()
                            (f, df) = (v * cdf, cdf + v * pdf)
                        }
                        let ref = Double(g[j]) * df
                        #expect(abs(Double(y[j]) - f) < 2e-6 * max(abs(f), 1), "\(isa) gelu approx \(approximate) x \(v): \(y[j]) vs \(f)")
                        #expect(abs(Double(dx[j]) - ref) < 2e-6 * max(abs(ref), 1), "\(isa) gelu' approx \(approximate) x \(v): \(dx[j]) vs \(ref)")
                    }
                }
            }
        }
    }
}
