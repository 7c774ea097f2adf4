import Foundation
import VTPData
import VTPModels
import VTPNN
import VTPTensor

/// CLIP embeddings (L2-normalised) of images and texts, and their cosine similarities.
public struct Embeddings {
    /// [I, W], nil when no images were given.
    public var images: Tensor?
    /// [T, W], nil when no texts were given.
    public var texts: Tensor?

    /// Embeds image files (official zero-shot preprocessing by default) and texts (the CLIP tokenizer).
    public init(model: VTPModel, images inputs: ImageInputs, texts: [String]) throws {
        if !inputs.paths.isEmpty {
            var parts: [Tensor] = []
            try inputs.forEachBatch(model: model, default: .squash) { _, x in
                parts.append(try withNoGrad { try model.clipImageFeatures(x) })
            }
            images = Tensor.concat(parts, axis: 0)
        }
        if !texts.isEmpty {
            let ids = try CLIPTokenizer().tokenize(texts, contextLength: model.config.textContextLength).flatMap { $0.map(Int.init) }
            self.texts = try withNoGrad { try model.clipTextFeatures(tokens: ids, rows: texts.count) }
        }
    }

    /// Cosine similarities [I, T] (rows: images, columns: texts), when both are present.
    public var similarity: Tensor? {
        guard let images, let texts else { return nil }
        return withNoGrad { images.matmul(texts, transposeB: true) }
    }

    /// Writes `image_embeddings` [I, W] and/or `text_embeddings` [T, W] to `url`.
    public func write(to url: URL) throws {
        var named: [(String, Tensor)] = []
        if let images { named.append(("image_embeddings", images)) }
        if let texts { named.append(("text_embeddings", texts)) }
        try OutputFiles.writeTensors(named, to: url)
    }
}
