import Foundation
import Testing
@testable import VTPTraining
import VTPTensor

@Suite struct ObjectiveSigLIPTests {
    // Features of ObjectiveCLIPTests, s = ln 2, b = −1: z = 2·I·Tᵀ − 1 = [[0.2, 0.6], [0.6, −2.2]];
    // y·z = [[0.2, −0.6], [−0.6, −2.2]]; −log σ(v) = log(1 + e^−v):
    //   0.598138869, 1.037487950, 1.037487950, 2.305083320; sum 4.978198089; / N = 2 → 2.489099045.
    @Test func handComputedLoss() {
        let l = SigLIPLoss.loss(imageFeatures: ObjectiveCLIPTests.images, textFeatures: ObjectiveCLIPTests.texts,
                                logitScale: ObjectiveCLIPTests.logScale, logitBias: Tensor([-1], shape: [1]))
        #expect(abs(l.item - 2.489099045) < 1e-6)
    }

    @Test func logSigmoidIsStableForLargeArguments() {
        let y = SigLIPLoss.logSigmoid(Tensor([-100, 0, 100], shape: [3]))
        #expect(abs(y.scalars[0] + 100) < 1e-4)          // log σ(−100) = −100 − log(1 + e^−100)
        #expect(abs(y.scalars[1] + Float(log(2.0))) < 1e-6)
        #expect(y.scalars[2] <= 0 && y.scalars[2] > -1e-6)
        #expect(y.scalars.allSatisfy { $0.isFinite })
    }

    @Test func openCLIPInitialValues() {
        #expect(abs(SigLIPLoss.initialLogitScale - 2.302585) < 1e-5)
        #expect(SigLIPLoss.initialLogitBias == -10)
    }
}
