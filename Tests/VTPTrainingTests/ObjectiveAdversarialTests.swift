import Foundation
import Testing
import VTPModels
import VTPNN
@testable import VTPTraining
import VTPTensor

@Suite struct ObjectiveAdversarialTests {
    // real = (2, 0.5), fake = (−2, 0.5): relu(1 − real) = (0, 0.5), mean 0.25; relu(1 + fake) = (0, 1.5), mean 0.75;
    // L_D = ½(0.25 + 0.75) = 0.5; L_G = −mean(fake) = 0.75.
    @Test func hingeLosses() {
        let real = Tensor([2, 0.5], shape: [2, 1, 1, 1]), fake = Tensor([-2, 0.5], shape: [2, 1, 1, 1])
        #expect(abs(HingeGANLoss.discriminatorLoss(real: real, fake: fake).item - 0.5) < 1e-7)
        #expect(abs(HingeGANLoss.generatorLoss(fake: fake).item - 0.75) < 1e-7)
    }

    // softplus(−2) = ln(1 + e⁻²) = 0.126928011, softplus(−1) = 0.313261687, softplus(0) = ln 2,
    // softplus(30) = 30 (the stable form must not overflow).
    // real = (2, 0): mean softplus(−real) = (0.126928011 + 0.693147181)/2 = 0.410037596;
    // fake = (−1, 30): mean softplus(fake) = (0.313261687 + 30)/2 = 15.156630844; L_D = ½ · sum = 7.78333422.
    @Test func vanillaDiscriminatorLoss() {
        let real = Tensor([2, 0], shape: [2, 1, 1, 1]), fake = Tensor([-1, 30], shape: [2, 1, 1, 1])
        #expect(abs(VanillaGANLoss.discriminatorLoss(real: real, fake: fake).item - 7.78333422) < 1e-5)
        let zero = Tensor([0], shape: [1, 1, 1, 1])
        #expect(abs(VanillaGANLoss.discriminatorLoss(real: zero, fake: zero).item - 0.693147181) < 1e-6)
        let extreme = VanillaGANLoss.softplus(Tensor([-100, 100], shape: [2])).scalars
        #expect(extreme[0] >= 0 && extreme[0] < 1e-30 && extreme[1] == 100)
    }

    // ‖∇rec‖ = ‖(3, 4)‖ = 5, ‖∇G‖ = ‖(0.6, 0.8)‖ = 1: λ = 5/(1 + 1e-4)·0.5 = 2.499750025.
    // ∇G = 0: 5/1e-4 = 5e4, clamped to 1e4, ·0.5 = 5000.
    @Test func adaptiveWeight() {
        let w = AdversarialWeighting(discriminatorWeight: 0.5, startStep: 10)
        let gr = Tensor([3, 4], shape: [2])
        #expect(abs(w.adaptiveWeight(reconstructionGradient: gr, generatorGradient: Tensor([0.6, 0.8], shape: [2])) - 2.499750025) < 1e-6)
        #expect(w.adaptiveWeight(reconstructionGradient: gr, generatorGradient: Tensor.zeros([2])) == 5000)
        #expect(!w.isActive(step: 9) && w.isActive(step: 10))
        // Configuration keys are taming's.
        let json = String(decoding: try! JSONEncoder().encode(w), as: UTF8.self)
        #expect(json.contains("\"disc_start\":10") && json.contains("\"disc_weight\":0.5"))
    }

    /// A tiny "decoder" (two linear layers) and discriminator: `backward` must leave L_rec + λ·L_G's gradient.
    @Test func backwardCombinesBothGradients() {
        var rng = RNG(seed: 5)
        let first = Linear(4, 6, rng: &rng), last = Linear(6, 12, rng: &rng)
        let disc = PatchDiscriminator(config: PatchDiscriminatorConfig(inputChannels: 3, baseChannels: 4, layers: 1, normGroups: 2), rng: &rng)
        disc.setTrainable(false)
        let z = Tensor.randomNormal([2, 4], rng: &rng), target = Tensor.randomNormal([2, 3, 2, 2], rng: &rng)
        let params = [first.weight, first.bias!, last.weight, last.bias!]
        func losses() -> (Tensor, Tensor) {
            // 12 outputs → [2, 3, 2, 2] images; pad to 8×8 by tiling so that the discriminator has room.
            let x = last(first(z).gelu()).reshaped([2, 3, 2, 2])
            let big = Tensor.concat(Array(repeating: Tensor.concat(Array(repeating: x, count: 4), axis: 3), count: 4), axis: 2)
            return (x.l1Loss(target), HingeGANLoss.generatorLoss(fake: disc(big)))
        }
        let weighting = AdversarialWeighting(discriminatorWeight: 0.8, startStep: 3)

        // Reference: λ from separate backward passes, then one backward of L_rec + λ·L_G.
        let (r0, g0) = losses()
        let gr = r0.backward()[last.weight.value]!, gg = g0.backward()[last.weight.value]!
        let lambda = weighting.adaptiveWeight(reconstructionGradient: gr, generatorGradient: gg)
        for p in params { p.zeroGrad() }
        let (r1, g1) = losses()
        (r1 + g1 * lambda).backward()
        let expected = params.map { $0.grad! }

        for p in params { p.zeroGrad() }
        let (r2, g2) = losses()
        let got = weighting.backward(reconstructionLoss: r2, generatorLoss: g2, lastLayer: last.weight, parameters: params, step: 3)
        #expect(abs(got - lambda) < 1e-6 && lambda > 0)
        for (p, e) in zip(params, expected) {
            for (a, b) in zip(p.grad!.scalars, e.scalars) { #expect(abs(a - b) < 1e-5 + 1e-4 * abs(b)) }
        }
        let discGrads = disc.namedParameters().filter { $0.1.grad != nil }
        #expect(discGrads.isEmpty)

        // Before the start step only L_rec is back-propagated.
        for p in params { p.zeroGrad() }
        let (r3, g3) = losses()
        #expect(weighting.backward(reconstructionLoss: r3, generatorLoss: g3, lastLayer: last.weight, parameters: params, step: 2) == 0)
        let recOnly = params.map { $0.grad! }
        for p in params { p.zeroGrad() }
        losses().0.backward()
        for (a, b) in zip(recOnly, params.map { $0.grad! }) { #expect(a.scalars == b.scalars) }
    }
}
