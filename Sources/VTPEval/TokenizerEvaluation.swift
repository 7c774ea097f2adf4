import Foundation
import VTPData
import VTPModels
import VTPNN
import VTPTensor

/// What an evaluation of a tokenizer on held-out images measured.
public struct EvaluationResult: Codable, Sendable {
    public var step: Int
    public var images: Int
    /// Zero-shot top-1 accuracy (0–1) over the evaluation images, when the data has classes and the model has
    /// CLIP towers.
    public var zeroShotAccuracy: Double?
    /// Mean PSNR (dB, 8-bit images, each capped at 100 dB) of reconstructions, when the model has a decoder.
    public var psnr: Double?
    /// Leave-one-out 20-NN top-1 accuracy (0–1) of the trunk's final-norm CLS features over the evaluation images
    /// (DINO's k-NN protocol), when they have labels: how well the representation separates the classes,
    /// whatever the objectives.
    public var knnAccuracy: Double?
}

/// Zero-shot classification, k-NN classification and reconstruction quality of a tokenizer on labelled (or
/// unlabelled) images, one trunk pass per batch serving every measurement.
public enum TokenizerEvaluation {
    /// Evaluates `model` on `images` [n, 3, S, S] (ImageNet-normalised). Zero-shot needs `classNames`, labels and
    /// CLIP towers (`templates` with `fill` make the prompts); k-NN needs labels; PSNR needs a decoder.
    /// Returns the result and up to `examples` (original, reconstruction) pairs for a grid.
    public static func evaluate(model: VTPModel, images: Tensor, labels: [Int?], classNames: [String]?, templates: [String],
                                fill: @escaping (String, String) -> String = PromptTemplates.fill, step: Int = 0,
                                batch: Int = 64, examples: Int = 8) throws -> (EvaluationResult, [Reconstruction.Pair]) {
        var result = EvaluationResult(step: step, images: images.shape[0])
        let n = images.shape[0]
        let labelled = labels.allSatisfy { $0 != nil }
        let classifier = try classNames.flatMap { names -> ZeroShotClassifier? in
            guard model.visualProj != nil, labelled else { return nil }
            return try ZeroShotClassifier(model: model, tokenizer: try CLIPTokenizer(), classNames: names, templates: templates, fill: fill)
        }
        var correct = 0, psnrTotal = 0.0
        var cls: [Tensor] = [], shown: [Reconstruction.Pair] = []
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
                    let pairs = try Reconstruction.pairs(originals: x, reconstructions: r)
                    for pair in pairs { psnrTotal += min(pair.psnr, 100) }
                    shown += pairs.prefix(max(examples - shown.count, 0))
                }
            }
        }
        if classifier != nil { result.zeroShotAccuracy = Double(correct) / Double(n) }
        if labelled && n >= 2 {
            result.knnAccuracy = KNNClassifier.leaveOneOutAccuracy(features: Tensor.concat(cls, axis: 0), labels: labels.map { $0! })
        }
        if model.pixelDecoder != nil { result.psnr = psnrTotal / Double(n) }
        return (result, shown)
    }
}
