import Testing
@testable import VTPTraining
import VTPTensor

@Suite struct ObjectiveIBOTTests {
    // 3 images × 2 patches, masks [T T | F T | F F] → masked rows: (img 0, p 0), (img 0, p 1), (img 1, p 1);
    // weights 1/2, 1/2, 1; n_images = 3 (image 2 counts, with no patch). τ_s = 1, K = 2:
    //   h0 = H((0.5, 0.5), (1, 0)) = log(1 + e) − 0.5 = 0.813261688
    //   h1 = H((0.25, 0.75), (0, 2)) = 0.25·2.126928 + 0.75·0.126928 = 0.626928011
    //   h2 = H((1, 0), (1, 1)) = ln 2 = 0.693147181
    // L = (h0/2 + h1/2 + h2)/3 = 0.471080677
    static let masks = [true, true, false, true, false, false]

    @Test func handComputedLoss() {
        let student = Tensor([1, 0, 0, 2, 1, 1], shape: [3, 2])
        let teacher = Tensor([0.5, 0.5, 0.25, 0.75, 1, 0], shape: [3, 2])
        let l = IBOTPatchLoss.loss(student: student, teacher: teacher, masks: Self.masks, patchesPerImage: 2,
                                   studentTemperature: 1)
        #expect(abs(l.item - 0.471080677) < 1e-6)
    }

    @Test func weightsAndMaskedRows() {
        #expect(IBOTPatchLoss.rowWeights(masks: Self.masks, patchesPerImage: 2) == [0.5, 0.5, 1])
        // tokens [3 images, 2 patches, D = 1] holding their flat index.
        let tokens = Tensor([0, 1, 2, 3, 4, 5], shape: [3, 2, 1])
        #expect(IBOTPatchLoss.maskedRows(tokens, masks: Self.masks).scalars == [0, 1, 3])
        #expect(IBOTPatchLoss.maskedRows(tokens, masks: Self.masks).shape == [3, 1])
    }

    @Test func noMaskedPatchGivesZero() {
        let l = IBOTPatchLoss.loss(student: Tensor.zeros([0, 4]), teacher: Tensor.zeros([0, 4]),
                                   masks: [false, false, false, false], patchesPerImage: 2)
        #expect(l.item == 0)
    }
}
