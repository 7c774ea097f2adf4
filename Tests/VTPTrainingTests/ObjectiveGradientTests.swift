import Testing
import VTPModels
@testable import VTPTraining
import VTPTensor
import VTPTestSupport

// Finite-difference checks of every objective: `loss.backward()` against central differences.

@Suite struct ObjectiveGradientTests {
    @Test func clipLoss() {
        let img = randn([4, 3], seed: 1), txt = randn([4, 3], seed: 2)
        checkGradients("CLIPLoss", [img, txt, Tensor([0.7], shape: [1])]) { x in
            CLIPLoss.loss(imageFeatures: x[0].l2Normalized(), textFeatures: x[1].l2Normalized(), logitScale: x[2])
        }
    }

    @Test func sigLIPLoss() {
        let img = randn([4, 3], seed: 3), txt = randn([4, 3], seed: 4)
        checkGradients("SigLIPLoss", [img, txt, Tensor(scalar: 1.2), Tensor(scalar: -2)]) { x in
            SigLIPLoss.loss(imageFeatures: x[0].l2Normalized(), textFeatures: x[1].l2Normalized(),
                            logitScale: x[2], logitBias: x[3])
        }
    }

    @Test func ganLosses() {
        let real = randn([2, 1, 3, 3], seed: 21), fake = randn([2, 1, 3, 3], seed: 22)
        checkGradients("VanillaGANLoss", [real, fake]) { x in VanillaGANLoss.discriminatorLoss(real: x[0], fake: x[1]) }
        // Hinge: keep the logits away from the kinks at ±1 where the difference quotient is not the derivative.
        let r = Tensor(real.scalars.map { $0 > 0 ? $0 + 1.5 : $0 - 0.5 }, shape: real.shape)
        checkGradients("HingeGANLoss", [r, fake * 0.3]) { x in HingeGANLoss.discriminatorLoss(real: x[0], fake: x[1]) }
    }

    @Test func dinoLoss() {
        let teacher = [randn([3, 5], seed: 5).softmax(), randn([3, 5], seed: 6).softmax()]
        let students = (0..<3).map { randn([3, 5], seed: 10 + UInt64($0)) }
        checkGradients("DINOLoss", students) { x in
            DINOLoss.loss(studentGlobal: [x[0], x[1]], studentLocal: [x[2]], teacher: teacher)
        }
    }

    @Test func ibotPatchLoss() {
        let masks = [true, false, true, true, false, false, true, false, false]  // 3 images of 3 patches, 4 masked
        let teacher = randn([4, 6], seed: 7).softmax()
        checkGradients("IBOTPatchLoss", [randn([3, 3, 6], seed: 8)]) { x in
            IBOTPatchLoss.loss(student: IBOTPatchLoss.maskedRows(x[0], masks: masks), teacher: teacher,
                               masks: masks, patchesPerImage: 3)
        }
    }

    @Test func koLeoLoss() {
        // Well-separated nearest neighbours, so that ±h does not change which one is nearest.
        let x = Tensor([1, 0, 0.1, 0, 1, 0.2, 0.7, 0.7, 0, -1, 0.1, 0.3], shape: [4, 3])
        checkGradients("KoLeoLoss", [x], h: 1e-3) { x in KoLeoLoss.loss(x[0]) }
    }

    @Test func hingeLosses() {
        // Values away from the hinge points ±1.
        let real = Tensor([2, 0.5, -0.3, 1.5], shape: [1, 1, 2, 2]), fake = Tensor([-2, 0.4, 0.1, -0.5], shape: [1, 1, 2, 2])
        checkGradients("HingeGANLoss.discriminator", [real, fake]) { x in
            HingeGANLoss.discriminatorLoss(real: x[0], fake: x[1])
        }
        checkGradients("HingeGANLoss.generator", [fake]) { x in HingeGANLoss.generatorLoss(fake: x[0]) }
    }

    @Test func reconstructionLossWithLPIPS() {
        let loss = ReconstructionLoss(pixelLoss: .l1, perceptualWeight: 0.5, lpips: LPIPS(seed: 3))
        let target = randn([1, 3, 16, 16], seed: 20)
        // Differences 0.25 ± 0.05·N(0, 1), away from the kink of |·| at 0.
        let decoded = target + randn([1, 3, 16, 16], seed: 21, scale: 0.05) + 0.25
        checkGradients("ReconstructionLoss", [decoded], h: 1e-3, samples: 10) { x in
            loss(decoded: x[0], target: target).total
        }
        let mse = ReconstructionLoss(pixelLoss: .mse)
        checkGradients("ReconstructionLoss.mse", [decoded]) { x in mse(decoded: x[0], target: target).total }
    }
}
