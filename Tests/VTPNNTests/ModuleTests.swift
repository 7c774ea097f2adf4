import Foundation
import Testing
@testable import VTPNN
import VTPTensor

/// A two-layer test module: keys `fc.weight`, `fc.bias`, `blocks.0.weight`, `blocks.1.weight`, buffer `scale`.
final class Toy: Module {
    let fc: Linear
    let blocks: [RMSNorm]
    let scale = Buffer(Tensor([2], shape: [1]), storageDType: .bf16)
    var items: [ModuleItem] { [.child("fc", fc), .list("blocks", blocks), .buffer("scale", scale)] }
    init(seed: UInt64) {
        var rng = RNG(seed: seed)
        fc = Linear(3, 2, rng: &rng)
        blocks = [RMSNorm(2), RMSNorm(2)]
    }
}

@Suite struct ModuleTests {
    @Test func keysAreDerivedFromItems() {
        let m = Toy(seed: 1)
        #expect(m.namedParameters().map(\.0) == ["fc.weight", "fc.bias", "blocks.0.weight", "blocks.1.weight"])
        #expect(m.namedBuffers().map(\.0) == ["scale"])
        #expect(m.parameterCount == 6 + 2 + 2 + 2)
        #expect(m.stateDict().first { $0.name == "scale" }?.dtype == .bf16)
    }

    @Test func emaMovesTowardsTheSource() {
        let a = Toy(seed: 1), b = Toy(seed: 2)
        let before = a.fc.weight.value.scalars, src = b.fc.weight.value.scalars
        EMA.update(target: a, source: b, momentum: 0.9)
        for i in 0..<before.count { #expect(abs(a.fc.weight.value.scalars[i] - (0.9 * before[i] + 0.1 * src[i])) < 1e-6) }
        EMA.copy(from: b, to: a)
        #expect(a.fc.weight.value.scalars == src)
        // The copy is independent of the source's buffer.
        OptimizerKernels.scale(b.fc.weight.value, by: 2)
        #expect(a.fc.weight.value.scalars == src)
    }

    @Test func adamwMatchesTheClosedFormFirstStep() {
        // First AdamW step: m̂ = g, v̂ = g², θ ← θ(1 − lr·wd) − lr·g/(|g| + ε).
        let p = Parameter(Tensor([1, -2, 3], shape: [3]))
        p.grad = Tensor([0.5, -1, 2], shape: [3])
        let opt = AdamW(groups: [.init([p], weightDecay: 0.1)], lr: 0.01)
        opt.update()
        let want: [Float] = [1 * 0.999 - 0.01, -2 * 0.999 + 0.01, 3 * 0.999 - 0.01]
        for i in 0..<3 { #expect(abs(p.value.scalars[i] - want[i]) < 1e-6) }
    }
}
