import Foundation
import Testing
@testable import VTPTraining
import VTPTensor

@Suite struct ObjectiveKoLeoTests {
    // x0 = (1, 0), x1 = (0, 1), x2 = (0.6, 0.8), unit already. Dots: x0·x1 = 0, x0·x2 = 0.6, x1·x2 = 0.8, so the
    // nearest neighbours are 0 → 2, 1 → 2, 2 → 1 with distances √0.8 = 0.894427, √0.4 = 0.632456, √0.4.
    // L = −(ln 0.894427 + 2·ln 0.632456)/3 = 0.342620836 (ε = 1e-8 moves the 9th digit).
    @Test func handComputedLoss() {
        let x = Tensor([1, 0, 0, 1, 0.6, 0.8], shape: [3, 2])
        #expect(abs(KoLeoLoss.loss(x).item - 0.342620836) < 1e-6)
        // Only directions count: scaling rows changes nothing.
        let scaled = x * Tensor([2, 2, 0.5, 0.5, 3, 3], shape: [3, 2])
        #expect(abs(KoLeoLoss.loss(scaled).item - 0.342620836) < 1e-6)
    }

    @Test func gradientPushesNeighboursApart() {
        // Two close points: a gradient step on −log d must increase their distance.
        let x = Tensor([1, 0, 0.99, 0.141, -1, 0.05], shape: [3, 2]).requiringGrad()
        let g = KoLeoLoss.loss(x).backward()[x]!
        let moved = withNoGrad { (x.detached() - g * 0.01).l2Normalized() }
        let before = withNoGrad { x.detached().l2Normalized() }
        func dist(_ t: Tensor) -> Float { hypot(t.scalars[0] - t.scalars[2], t.scalars[1] - t.scalars[3]) }
        #expect(dist(moved) > dist(before))
    }
}
