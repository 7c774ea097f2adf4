import Foundation
import Testing
@testable import VTPTraining
import VTPTensor

@Suite struct ObjectiveCLIPTests {
    // I = [(1, 0), (0, 1)], T = [(0.6, 0.8), (0.8, −0.6)] (unit rows), s = ln 2:
    // logits = 2·I·Tᵀ = [[1.2, 1.6], [1.6, −1.2]] (symmetric, so both directions agree).
    // CE(row 0, 0) = log(1 + e^0.4) = 0.913015252; CE(row 1, 1) = log(1 + e^2.8) = 2.859032826.
    // L = ½·[(0.913015 + 2.859033)/2 + the same] = 1.886024039.
    static let images = Tensor([1, 0, 0, 1], shape: [2, 2])
    static let texts = Tensor([0.6, 0.8, 0.8, -0.6], shape: [2, 2])
    static let logScale = Tensor([Float(log(2.0))], shape: [1])

    @Test func handComputedLoss() {
        let logits = CLIPLoss.logits(imageFeatures: Self.images, textFeatures: Self.texts, logitScale: Self.logScale)
        #expect(logits.shape == [2, 2])
        for (a, b) in zip(logits.scalars, [Float(1.2), 1.6, 1.6, -1.2]) { #expect(abs(a - b) < 1e-6) }
        let l = CLIPLoss.loss(imageFeatures: Self.images, textFeatures: Self.texts, logitScale: Self.logScale)
        #expect(abs(l.item - 1.886024039) < 1e-6)
    }

    @Test func asymmetricLogitsAverageBothDirections() {
        // I = [(1, 0), (0.6, 0.8)], T = [(1, 0), (0, 1)], s = 0: logits = [[1, 0], [0.6, 0.8]].
        // image→text: CE([1, 0], 0) = log(1 + e^−1) = 0.313261687; CE([0.6, 0.8], 1) = log(1 + e^−0.2) = 0.598138869
        // text→image (columns): CE([1, 0.6], 0) = log(1 + e^−0.4) = 0.513015252; CE([0, 0.8], 1) = log(1 + e^−0.8) = 0.371100666
        // L = ½·[(0.313262 + 0.598139)/2 + (0.513015 + 0.371101)/2] = 0.448879119
        let l = CLIPLoss.loss(imageFeatures: Tensor([1, 0, 0.6, 0.8], shape: [2, 2]),
                              textFeatures: Tensor([1, 0, 0, 1], shape: [2, 2]), logitScale: Tensor(scalar: 0))
        #expect(abs(l.item - 0.448879119) < 1e-6)
    }

    @Test func logitScaleIsClampedToOpenCLIPRange() {
        let p = Parameter(Tensor([5], shape: [1]))
        CLIPLoss.clampLogitScale(p)
        #expect(abs(p.value.item - Float(log(100.0))) < 1e-6)   // ln 100 = 4.60517
        p.value = Tensor([-1], shape: [1])
        CLIPLoss.clampLogitScale(p)
        #expect(p.value.item == 0)
        p.value = Tensor([2.5], shape: [1])
        CLIPLoss.clampLogitScale(p)
        #expect(p.value.item == 2.5)
        // Still a trainable leaf afterwards.
        let g = (p.value * 3).sum().backward()
        #expect(g[p.value]?.item == 3)
    }
}
