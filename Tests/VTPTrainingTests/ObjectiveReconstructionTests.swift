import Foundation
import Testing
import VTPData
import VTPModels
@testable import VTPTraining
import VTPTensor

@Suite struct ObjectiveReconstructionTests {
    // decoded − target = (0.5, −1, 0, 2) in each channel of a [1, 3, 2, 2] batch:
    // mean |·| = (0.5 + 1 + 0 + 2)/4 = 0.875 and mean (·)² = (0.25 + 1 + 0 + 4)/4 = 1.3125.
    static let target = Tensor.zeros([1, 3, 2, 2])
    static let decoded = Tensor((0..<3).flatMap { _ in [Float(0.5), -1, 0, 2] }, shape: [1, 3, 2, 2])

    @Test func pixelLosses() {
        let l1 = ReconstructionLoss(pixelLoss: .l1)(decoded: Self.decoded, target: Self.target)
        #expect(abs(l1.total.item - 0.875) < 1e-6 && l1.perceptual == nil)
        let mse = ReconstructionLoss(pixelLoss: .mse)(decoded: Self.decoded, target: Self.target)
        #expect(abs(mse.total.item - 1.3125) < 1e-6)
    }

    @Test func lpipsIsOffWithoutAWeightsFile() throws {
        #expect(try ReconstructionLoss(lpipsWeights: nil).lpips == nil)
        #expect(throws: VTPError.self) {
            try ReconstructionLoss(lpipsWeights: URL(fileURLWithPath: "/nonexistent/lpips.safetensors"))
        }
    }

    @Test func signedUnitRangeUndoesImageNetNormalisation() {
        // x = (p − mean)/std for pixel value p ∈ [0, 1] must map to 2p − 1.
        let p: [Float] = [0, 0.25, 1]
        var normalized: [Float] = []
        for c in 0..<3 { for v in p { normalized.append((v - Preprocess.imagenetMean[c]) / Preprocess.imagenetStd[c]) } }
        let u = ReconstructionLoss.toSignedUnitRange(Tensor(normalized, shape: [1, 3, 1, 3]))
        for c in 0..<3 { for (i, v) in p.enumerated() { #expect(abs(u.scalars[c * 3 + i] - (2 * v - 1)) < 1e-6) } }
    }

    @Test func perceptualTermIsWeightedMeanLPIPS() {
        let lpips = LPIPS(seed: 1)
        var rng = RNG(seed: 2)
        let target = Tensor.randomNormal([2, 3, 16, 16], rng: &rng)
        let decoded = target + Tensor.randomNormal([2, 3, 16, 16], std: 0.2, rng: &rng)
        let terms = ReconstructionLoss(pixelLoss: .l1, perceptualWeight: 0.25, lpips: lpips)(decoded: decoded, target: target)
        let p = lpips(ReconstructionLoss.toSignedUnitRange(decoded), ReconstructionLoss.toSignedUnitRange(target))
        let expected = decoded.l1Loss(target).item + 0.25 * (p.scalars[0] + p.scalars[1]) / 2
        #expect(abs(terms.total.item - expected) < 1e-5)
        #expect(abs(terms.perceptual!.item - (p.scalars[0] + p.scalars[1]) / 2) < 1e-6)
        // Identical images: zero loss.
        let same = ReconstructionLoss(perceptualWeight: 1, lpips: lpips)(decoded: target, target: target)
        #expect(abs(same.total.item) < 1e-6)
        // Weight 0 skips LPIPS.
        #expect(ReconstructionLoss(perceptualWeight: 0, lpips: lpips)(decoded: decoded, target: target).perceptual == nil)
    }
}
