import Foundation
import Testing
import VTPData
import VTPEval
import VTPModels
import VTPTensor

/// The library API behind the `vtp` commands.
@Suite struct InferenceAPITests {
    /// Known answers: identical images have infinite PSNR; an image off by exactly 1 in every byte has
    /// MSE 1 → 20·log10(255) dB; originals are rounded to 8 bits, reconstructions truncated (official protocol).
    @Test func reconstructionPairsMeasurePSNROfQuantisedImages() throws {
        let mean: [Float] = [0.485, 0.456, 0.406], std: [Float] = [0.229, 0.224, 0.225]
        func normalized(_ byte: (Int) -> Float) -> Tensor {
            var v = [Float](repeating: 0, count: 3 * 4 * 4)
            for c in 0..<3 { for i in 0..<16 { v[c * 16 + i] = (byte(i) / 255 - mean[c]) / std[c] } }
            return Tensor(v, shape: [1, 3, 4, 4])
        }
        let x = normalized { Float(100 + $0) }
        let same = try Reconstruction.pairs(originals: x, reconstructions: normalized { Float(100 + $0) + 0.5 })
        #expect(same[0].psnr == .infinity, "truncation of +0.5 must give the same bytes")
        let off = try Reconstruction.pairs(originals: x, reconstructions: normalized { Float(101 + $0) + 0.5 })
        #expect(abs(off[0].psnr - 20 * log10(255.0)) < 1e-9)
        #expect(off[0].original.pixels[0] == 100 && off[0].reconstruction.pixels[0] == 101)
    }

    @Test func classNamesAreCleanedAndEmptyListsRefused() throws {
        #expect(try ClassNames.parse(commaSeparated: " cat, dog ,,golden retriever") == ["cat", "dog", "golden retriever"])
        #expect(throws: VTPError.self) { try ClassNames.parse(commaSeparated: " , ") }
        #expect { try ClassNames.read(file: "/nonexistent/classes.txt") } throws: { "\($0)".contains("/nonexistent/classes.txt") }
    }

    @Test func inputSizeMustFitThePatches() throws {
        var c = VTPConfig()
        (c.visionEmbedDim, c.visionDepth, c.visionNumHeads, c.trainClip, c.trainReconstruction) = (16, 1, 2, false, false)
        let model = try VTPModel(config: c, seed: 0)
        #expect(throws: VTPError.self) { _ = try ImageInputs(paths: [], size: 30).pipeline(for: model, default: .adm) }
        #expect(throws: VTPError.self) { _ = try ImageInputs(paths: [], size: 0).pipeline(for: model, default: .adm) }
        _ = try ImageInputs(paths: [], size: 32).pipeline(for: model, default: .squash)
        #expect(ImageInputs(paths: [], batch: 0).batch == 1)
    }
}
