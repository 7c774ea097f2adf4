import Foundation
import VTPData
import VTPEval
import VTPModels
import VTPNN
import VTPTensor

/// What an evaluation measured.
public struct EvaluationResult: Codable, Sendable {
    public var step: Int
    public var images: Int
    /// Zero-shot top-1 accuracy (0–1) over the evaluation images, when the data has classes and CLIP is trained.
    public var zeroShotAccuracy: Double?
    /// Mean PSNR (dB, 8-bit images) of reconstructions, when the decoder is trained.
    public var psnr: Double?
    /// Leave-one-out 20-NN top-1 accuracy (0–1) of the trunk's final-norm CLS features over the evaluation images
    /// (DINO's k-NN protocol), when they have labels: how well the representation separates the classes,
    /// whatever the objectives.
    public var knnAccuracy: Double?
}

/// Zero-shot classification, k-NN classification and reconstruction quality on held-out images.
public enum Evaluation {
    /// Runs the evaluations on `images` [n, 3, S, S]; writes a reconstruction grid PNG to `gridURL` when given.
    public static func run(model: VTPModel, images: Tensor, labels: [Int?], classNames: [String]?, templates: [String],
                           step: Int, gridURL: URL?, batch: Int = 64) throws -> EvaluationResult {
        var result = EvaluationResult(step: step, images: images.shape[0])
        let n = images.shape[0]
        let labelled = labels.allSatisfy { $0 != nil }
        let classifier = try classNames.flatMap { names -> ZeroShotClassifier? in
            guard model.visualProj != nil, labelled else { return nil }
            return try withNoGrad {
                try ZeroShotClassifier(model: model, tokenizer: try CLIPTokenizer(), classNames: names, templates: templates,
                                       fill: { CaptionTemplates.fill($0, with: $1) })
            }
        }
        var correct = 0, psnrTotal = 0.0
        var cls: [Tensor] = [], originals: [RGBImage] = [], recons: [RGBImage] = []
        // One trunk pass per batch serves every evaluation.
        try withNoGrad {
            for start in stride(from: 0, to: n, by: batch) {
                let x = images.slice(axis: 0, start..<min(start + batch, n))
                let out = try model.lastLayerFeatures(x)
                if let classifier {
                    let top = classifier.topK(imageFeatures: try model.clipImageFeatures(cls: out.clsToken, patches: out.patchTokens), k: 1)
                    for (i, t) in top.enumerated() where t[0].0 == labels[start + i] { correct += 1 }
                }
                if labelled { cls.append(out.clsToken) }
                if model.pixelDecoder != nil {
                    let p = model.trunk.patchSize
                    let r = try model.decode(model.latents(patchTokens: out.patchTokens, height: x.shape[2] / p, width: x.shape[3] / p))
                    let a = try ImageTensors.images(x, quantization: .roundToNearest), b = try ImageTensors.images(r)
                    for (u, v) in zip(a, b) { psnrTotal += min(ImageTensors.psnr(u, v), 100) }
                    if originals.count < 8 { originals += a.prefix(8 - originals.count); recons += b.prefix(8 - recons.count) }
                }
            }
        }
        if classifier != nil { result.zeroShotAccuracy = Double(correct) / Double(n) }
        if labelled && n >= 2 {
            result.knnAccuracy = KNNClassifier.leaveOneOutAccuracy(features: Tensor.concat(cls, axis: 0), labels: labels.map { $0! })
        }
        if model.pixelDecoder != nil {
            result.psnr = psnrTotal / Double(n)
            if let gridURL {
                try TrainingPlots.writeReconstructionGrid(originals: originals, reconstructions: recons, step: step, to: gridURL)
            }
        }
        return result
    }
}
