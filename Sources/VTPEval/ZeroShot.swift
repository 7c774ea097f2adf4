import Foundation
import VTPData
import VTPModels
import VTPNN
import VTPTensor

/// A zero-shot classifier: one text embedding per class, built as open_clip does — the mean over templates of
/// L2-normalised text features, normalised again. Logits are `scale · f_img · W` (the official evaluation
/// uses scale 100).
public struct ZeroShotClassifier {
    public let classNames: [String]
    /// [W, C]: one column per class.
    public let weights: Tensor
    public var scale: Float = 100

    /// Embeds every (class, template) prompt with the model's text tower.
    /// - Parameter fill: how a template and a class name make a prompt (plain substitution by default, as open_clip;
    ///   training evaluation passes the captioning rule of its dataset).
    public init(model: VTPModel, tokenizer: CLIPTokenizer, classNames: [String], templates: [String], batch: Int = 256,
                fill: (String, String) -> String = PromptTemplates.fill) throws {
        guard !classNames.isEmpty else { throw VTPError.invalidInput("zero-shot classification needs at least one class name") }
        guard !templates.isEmpty else { throw VTPError.invalidInput("zero-shot classification needs at least one template") }
        let context = model.config.textContextLength
        var columns: [Tensor] = []
        try withNoGrad {
            for name in classNames {
                let prompts = templates.map { fill($0, name) }
                var feats: [Tensor] = []
                for start in stride(from: 0, to: prompts.count, by: batch) {
                    let chunk = Array(prompts[start..<min(start + batch, prompts.count)])
                    let ids = tokenizer.tokenize(chunk, contextLength: context).flatMap { $0.map(Int.init) }
                    feats.append(try model.clipTextFeatures(tokens: ids, rows: chunk.count, normalize: true))
                }
                let mean = Tensor.concat(feats, axis: 0).mean(axis: 0, keepDims: true)  // [1, W]
                columns.append(mean.l2Normalized())
            }
        }
        self.classNames = classNames
        self.weights = Tensor.concat(columns, axis: 0).transposed()  // [W, C]
    }

    /// Class probabilities [B, C] for normalised image embeddings [B, W].
    public func probabilities(imageFeatures: Tensor) -> Tensor {
        withNoGrad { (imageFeatures.matmul(weights) * scale).softmax() }
    }

    /// The `k` most likely classes per image, as (class index, probability), best first.
    public func topK(imageFeatures: Tensor, k: Int) -> [[(Int, Float)]] {
        let p = probabilities(imageFeatures: imageFeatures)
        let c = classNames.count
        return (0..<p.shape[0]).map { r in
            let row = Array(UnsafeBufferPointer(start: p.data + r * c, count: c))
            return row.enumerated().sorted { $0.element > $1.element }.prefix(max(1, k)).map { ($0.offset, $0.element) }
        }
    }
}

extension ZeroShotClassifier {
    /// Classifies image files (official zero-shot preprocessing by default); calls `each(path, top-k classes as
    /// (index, probability), best first)` per image.
    public func classify(model: VTPModel, inputs: ImageInputs, topK k: Int, each: (String, [(Int, Float)]) -> Void) throws {
        try inputs.forEachBatch(model: model, default: .squash) { paths, x in
            let feats = try withNoGrad { try model.clipImageFeatures(x) }
            for (path, top) in zip(paths, topK(imageFeatures: feats, k: min(k, classNames.count))) { each(path, top) }
        }
    }
}
