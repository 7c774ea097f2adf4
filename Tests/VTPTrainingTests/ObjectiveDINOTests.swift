import Foundation
import Testing
import VTPNN
@testable import VTPTraining
import VTPTensor

@Suite struct ObjectiveDINOTests {
    // K = 2, B = 1, τ_s = 0.5. Teacher targets T0 = (0.25, 0.75), T1 = (0.5, 0.5).
    // Students: global g0 = (1, 0), g1 = (0, 1), local l = (0.5, 0.5).
    // log_softmax(g0/τ) = log_softmax(2, 0) = (−0.126928, −2.126928); of g1 the reverse; of l: (−ln 2, −ln 2).
    // Pairs (dinov2: g0↔T1, g1↔T0, the local crop with both):
    //   H(T1, g0) = 0.5·0.126928 + 0.5·2.126928 = 1.126928011
    //   H(T0, g1) = 0.25·2.126928 + 0.75·0.126928 = 0.626928011
    //   H(T0, l) = H(T1, l) = ln 2 = 0.693147181
    // L = (1.126928 + 0.626928 + 2·0.693147)/4 = 0.785037596
    @Test func handComputedLoss() {
        let t = [Tensor([0.25, 0.75], shape: [1, 2]), Tensor([0.5, 0.5], shape: [1, 2])]
        let l = DINOLoss.loss(studentGlobal: [Tensor([1, 0], shape: [1, 2]), Tensor([0, 1], shape: [1, 2])],
                              studentLocal: [Tensor([0.5, 0.5], shape: [1, 2])], teacher: t, studentTemperature: 0.5)
        #expect(abs(l.item - 0.785037596) < 1e-6)
        // Global crops only: (1.126928 + 0.626928)/2.
        let g = DINOLoss.loss(studentGlobal: [Tensor([1, 0], shape: [1, 2]), Tensor([0, 1], shape: [1, 2])],
                              teacher: t, studentTemperature: 0.5)
        #expect(abs(g.item - 0.876928011) < 1e-6)
    }

    @Test func rowsAreAveragedOverTheBatch() {
        // Two identical rows give the one-row value.
        let t = [Tensor([0.25, 0.75, 0.25, 0.75], shape: [2, 2]), Tensor([0.5, 0.5, 0.5, 0.5], shape: [2, 2])]
        let s = [Tensor([1, 0, 1, 0], shape: [2, 2]), Tensor([0, 1, 0, 1], shape: [2, 2])]
        #expect(abs(DINOLoss.loss(studentGlobal: s, teacher: t, studentTemperature: 0.5).item - 0.876928011) < 1e-6)
    }

    @Test func teacherGetsNoGradient() {
        let teacher = Tensor([0.25, 0.75], shape: [1, 2]).requiringGrad()
        let student = Tensor([1, 0], shape: [1, 2]).requiringGrad()
        let g = DINOLoss.loss(studentGlobal: [student], studentLocal: [], teacher: [teacher, teacher]).backward()
        #expect(g[teacher] == nil)
        #expect(g[student] != nil)
    }

    // c = 0.9·(0, 0) + 0.1·mean((1, 2), (3, 4)) = (0.2, 0.3).
    // targets of t = (1, 2) at τ = 0.5: softmax((0.8, 1.7)/0.5) = softmax(1.6, 3.4) = (0.141851065, 0.858148935).
    @Test func centeringUpdateAndTargets() throws {
        let c0 = TeacherCentering(prototypes: 2)
        let before = c0.targets(Tensor([1, 2], shape: [1, 2]), temperature: 0.5)
        #expect(abs(before.scalars[0] - Float(1 / (1 + exp(2.0)))) < 1e-6)   // centre still 0
        let c1 = c0.updated(with: Tensor([1, 2, 3, 4], shape: [2, 2]))
        #expect(abs(c1.center.scalars[0] - 0.2) < 1e-7 && abs(c1.center.scalars[1] - 0.3) < 1e-7)
        #expect(c0.center.scalars == [0, 0])  // a value: the old state is unchanged
        let p = c1.targets(Tensor([1, 2], shape: [1, 2]), temperature: 0.5)
        #expect(abs(p.scalars[0] - 0.141851065) < 1e-6 && abs(p.scalars[1] - 0.858148935) < 1e-6)

        // Export / import.
        let saved = c1.stateTensors(prefix: "dino_loss")
        #expect(Array(saved.keys) == ["dino_loss.center"])
        var restored = TeacherCentering(prototypes: 2)
        try restored.loadState(from: TensorDictionary(saved), prefix: "dino_loss")
        #expect(restored.center.scalars == c1.center.scalars)
        var wrong = TeacherCentering(prototypes: 3)
        #expect(throws: ObjectiveStateError.self) { try wrong.loadState(from: TensorDictionary(saved), prefix: "dino_loss") }
        #expect(throws: ObjectiveStateError.missing("ibot.center")) {
            try restored.loadState(from: TensorDictionary(saved), prefix: "ibot")
        }
    }

    // exp(t/τ) = [[1, 3], [1, 1]] (t = [[0, ln 3], [0, 0]], τ = 1), B = K = 2, 3 iterations, in exact fractions:
    // Q = [[1, 3], [1, 1]]/6; it 1: per prototype → [[1/4, 3/8], [1/4, 1/8]], per sample → [[1/5, 3/10], [1/3, 1/6]];
    // it 2: [[3/16, 9/28], [5/16, 5/28]] → [[7/38, 6/19], [7/22, 2/11]] (…); after 3 and ×B:
    // targets = [[26/71, 45/71], [26/41, 15/41]] = [[0.366197183, 0.633802817], [0.634146341, 0.365853659]].
    @Test func sinkhornKnoppHandComputed() {
        let t = Tensor([0, Float(log(3.0)), 0, 0], shape: [2, 2])
        let q = SinkhornKnopp.targets(t, temperature: 1)
        let expected: [Float] = [26 / 71, 45 / 71, 26 / 41, 15 / 41]
        for (a, b) in zip(q.scalars, expected) { #expect(abs(a - b) < 1e-6) }
        // Rows sum to 1; a global shift of the logits changes nothing.
        let shifted = SinkhornKnopp.targets(t + 50, temperature: 1)
        for (a, b) in zip(shifted.scalars, expected) { #expect(abs(a - b) < 1e-6) }
    }

    @Test func sinkhornBalancesPrototypes() {
        // Many iterations: each prototype's column sums to B/K.
        var rng = RNG(seed: 3)
        let t = Tensor.randomNormal([8, 4], rng: &rng)
        let q = SinkhornKnopp.targets(t, temperature: 0.1, iterations: 50)
        let cols = q.sum(axis: 0).scalars, rows = q.sum(axis: 1).scalars
        for c in cols { #expect(abs(c - 2) < 1e-3) }
        for r in rows { #expect(abs(r - 1) < 1e-5) }
    }

    @Test func teacherTemperatureWarmup() {
        // np.linspace(0.04, 0.07, 4) = 0.04, 0.05, 0.06, 0.07, then 0.07.
        let temps = (0..<6).map { DINOLoss.teacherTemperature(step: $0, warmupSteps: 4) }
        for (a, b) in zip(temps, [Float(0.04), 0.05, 0.06, 0.07, 0.07, 0.07]) { #expect(abs(a - b) < 1e-7) }
        #expect(DINOLoss.teacherTemperature(step: 10, warmupSteps: 0) == 0.07)
        #expect(DINOLoss.teacherTemperature(step: 0, warmupSteps: 1) == 0.04)
    }
}
