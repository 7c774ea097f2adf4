import Foundation
import Testing
import VTPTensor
import VTPTestSupport

/// RoPE with interleaved pairs (EVA-02 / LightningDiT): out[2k] = x[2k]·cos[2k] − x[2k+1]·sin[2k],
/// out[2k+1] = x[2k+1]·cos[2k+1] + x[2k]·sin[2k+1].
@Suite struct InterleavedRopeTests {
    func tables(_ n: Int, _ d: Int, seed: UInt64) -> (sin: Tensor, cos: Tensor) {
        let ang = randn([n, d], seed: seed)
        return (Tensor(ang.scalars.map { Foundation.sin($0) }, shape: [n, d]),
                Tensor(ang.scalars.map { Foundation.cos($0) }, shape: [n, d]))
    }

    @Test func forwardIsThePairRotation() {
        let (b, h, n, d) = (2, 2, 5, 8)
        let x = randn([b, h, n, d], seed: 41)
        let (sin, cos) = tables(n, d, seed: 42)
        let y = x.rope(sin: sin, cos: cos, interleaved: true)
        var worst: Float = 0
        for row in 0..<(b * h * n) {
            let t = row % n
            for k in 0..<(d / 2) {
                let (i, j) = (row * d + 2 * k, row * d + 2 * k + 1)
                let (ti, tj) = (t * d + 2 * k, t * d + 2 * k + 1)
                let want0 = x.data[i] * cos.data[ti] - x.data[j] * sin.data[ti]
                let want1 = x.data[j] * cos.data[tj] + x.data[i] * sin.data[tj]
                worst = max(worst, abs(y.data[i] - want0), abs(y.data[j] - want1))
            }
        }
        #expect(worst < 1e-6)
        // Not the half-split rotation.
        let halves = x.rope(sin: sin, cos: cos)
        var differ: Float = 0
        for i in 0..<y.count { differ = max(differ, abs(y.data[i] - halves.data[i])) }
        #expect(differ > 0.1)
    }

    @Test func gradients() {
        let x = randn([1, 2, 5, 8], seed: 43)
        let (sin, cos) = tables(4, 8, seed: 44)
        checkGradients("rope interleaved", [x]) { $0[0].rope(sin: sin, cos: cos, prefix: 1, interleaved: true) }
        let qkv = randn([2, 5, 3 * 2 * 8], seed: 45)
        checkGradients("splitHeads + interleaved rope", [qkv]) {
            $0[0].splitHeads(2, rope: (sin, cos, 1, false), interleaved: true)
        }
    }

    @Test func fusedSplitEqualsUnfused() {
        let qkv = randn([2, 5, 3 * 2 * 8], seed: 46)
        let (sin, cos) = tables(5, 8, seed: 47)
        let fused = qkv.splitHeads(2, rope: (sin, cos, 0, false), interleaved: true)
        let parts = qkv.reshaped([2, 5, 3, 2, 8]).permuted([2, 0, 3, 1, 4]).split([1, 1, 1], axis: 0).map { $0.reshaped([2, 2, 5, 8]) }
        let ref = Tensor.concat([parts[0].rope(sin: sin, cos: cos, interleaved: true),
                                 parts[1].rope(sin: sin, cos: cos, interleaved: true), parts[2]], axis: 0)
        var worst: Float = 0
        for i in 0..<fused.count { worst = max(worst, abs(fused.data[i] - ref.data[i])) }
        #expect(worst == 0)
    }
}
