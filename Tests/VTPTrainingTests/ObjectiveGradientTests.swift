import Testing
import VTPModels
@testable import VTPTraining
import VTPTensor

// Finite-difference checks of every objective: `loss.backward()` against central differences.

/// Values ~ N(0, 1)·scale from a seed.
func objectiveRandn(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
    var rng = RNG(seed: seed)
    return Tensor.randomNormal(shape, std: scale, rng: &rng)
}

/// Central finite-difference check of the gradient of each input (copied from VTPTensorTests/TestSupport.swift).
///
/// L = Σ f(x)·R with a fixed random R, accumulated in Double; up to `samples` elements per input are perturbed by
/// ±h. Fails when |analytic − numeric| > atol + rtol·|numeric|.
func checkObjectiveGradients(_ name: String, _ inputs: [Tensor], h: Float = 1e-2, atol: Float = 2e-3, rtol: Float = 2e-2,
                             samples: Int = 24, wrt: Set<Int>? = nil,
                             sourceLocation: SourceLocation = #_sourceLocation, _ f: ([Tensor]) -> Tensor) {
    let leaves = inputs.map { $0.requiringGrad() }
    let out = f(leaves)
    let r = objectiveRandn(out.shape, seed: 99)
    let grads = (out * r).sum().backward()
    func lossValue(_ xs: [Tensor]) -> Double {
        withNoGrad {
            let y = f(xs)
            var acc = 0.0
            for i in 0..<y.count { acc += Double(y.data[i]) * Double(r.data[i]) }
            return acc
        }
    }
    var rng = RNG(seed: 7)
    for (idx, x) in inputs.enumerated() where wrt?.contains(idx) ?? true {
        guard let g = grads[leaves[idx]] else {
            Issue.record("\(name): no gradient for input \(idx)", sourceLocation: sourceLocation)
            continue
        }
        #expect(g.shape == x.shape, "\(name): gradient shape \(g.shape) ≠ input \(x.shape)", sourceLocation: sourceLocation)
        let picks = x.count <= samples ? Array(0..<x.count) : (0..<samples).map { _ in rng.int(below: x.count) }
        for e in picks {
            let plus = inputs.map { $0.copy() }, minus = inputs.map { $0.copy() }
            plus[idx].data[e] += h
            minus[idx].data[e] -= h
            let numeric = Float((lossValue(plus) - lossValue(minus)) / Double(2 * h))
            let analytic = g.data[e]
            #expect(abs(analytic - numeric) <= atol + rtol * abs(numeric),
                    "\(name): input \(idx) element \(e): analytic \(analytic) vs numeric \(numeric)", sourceLocation: sourceLocation)
        }
    }
}

@Suite struct ObjectiveGradientTests {
    @Test func clipLoss() {
        let img = objectiveRandn([4, 3], seed: 1), txt = objectiveRandn([4, 3], seed: 2)
        checkObjectiveGradients("CLIPLoss", [img, txt, Tensor([0.7], shape: [1])]) { x in
            CLIPLoss.loss(imageFeatures: x[0].l2Normalized(), textFeatures: x[1].l2Normalized(), logitScale: x[2])
        }
    }

    @Test func sigLIPLoss() {
        let img = objectiveRandn([4, 3], seed: 3), txt = objectiveRandn([4, 3], seed: 4)
        checkObjectiveGradients("SigLIPLoss", [img, txt, Tensor(scalar: 1.2), Tensor(scalar: -2)]) { x in
            SigLIPLoss.loss(imageFeatures: x[0].l2Normalized(), textFeatures: x[1].l2Normalized(),
                            logitScale: x[2], logitBias: x[3])
        }
    }

    @Test func dinoLoss() {
        let teacher = [objectiveRandn([3, 5], seed: 5).softmax(), objectiveRandn([3, 5], seed: 6).softmax()]
        let students = (0..<3).map { objectiveRandn([3, 5], seed: 10 + UInt64($0)) }
        checkObjectiveGradients("DINOLoss", students) { x in
            DINOLoss.loss(studentGlobal: [x[0], x[1]], studentLocal: [x[2]], teacher: teacher)
        }
    }

    @Test func ibotPatchLoss() {
        let masks = [true, false, true, true, false, false, true, false, false]  // 3 images of 3 patches, 4 masked
        let teacher = objectiveRandn([4, 6], seed: 7).softmax()
        checkObjectiveGradients("IBOTPatchLoss", [objectiveRandn([3, 3, 6], seed: 8)]) { x in
            IBOTPatchLoss.loss(student: IBOTPatchLoss.maskedRows(x[0], masks: masks), teacher: teacher,
                               masks: masks, patchesPerImage: 3)
        }
    }

    @Test func koLeoLoss() {
        // Well-separated nearest neighbours, so that ±h does not change which one is nearest.
        let x = Tensor([1, 0, 0.1, 0, 1, 0.2, 0.7, 0.7, 0, -1, 0.1, 0.3], shape: [4, 3])
        checkObjectiveGradients("KoLeoLoss", [x], h: 1e-3) { x in KoLeoLoss.loss(x[0]) }
    }

    @Test func hingeLosses() {
        // Values away from the hinge points ±1.
        let real = Tensor([2, 0.5, -0.3, 1.5], shape: [1, 1, 2, 2]), fake = Tensor([-2, 0.4, 0.1, -0.5], shape: [1, 1, 2, 2])
        checkObjectiveGradients("HingeGANLoss.discriminator", [real, fake]) { x in
            HingeGANLoss.discriminatorLoss(real: x[0], fake: x[1])
        }
        checkObjectiveGradients("HingeGANLoss.generator", [fake]) { x in HingeGANLoss.generatorLoss(fake: x[0]) }
    }

    @Test func reconstructionLossWithLPIPS() {
        let loss = ReconstructionLoss(pixelLoss: .l1, perceptualWeight: 0.5, lpips: LPIPS(seed: 3))
        let target = objectiveRandn([1, 3, 16, 16], seed: 20)
        // Differences 0.25 ± 0.05·N(0, 1), away from the kink of |·| at 0.
        let decoded = target + objectiveRandn([1, 3, 16, 16], seed: 21, scale: 0.05) + 0.25
        checkObjectiveGradients("ReconstructionLoss", [decoded], h: 1e-3, samples: 10) { x in
            loss(decoded: x[0], target: target).total
        }
        let mse = ReconstructionLoss(pixelLoss: .mse)
        checkObjectiveGradients("ReconstructionLoss.mse", [decoded]) { x in mse(decoded: x[0], target: target).total }
    }
}
