import Foundation
import VTPData
import VTPModels
import VTPTensor

/// A trained `DomainClassifier` applied to images: its penultimate features (for the domain Fréchet distance)
/// and its predicted classes (for class consistency). Metrics computed with it are *domain* metrics: comparable
/// only between runs measured with the same network, never with published Inception-based FIDs.
public struct DomainNetwork {
    public let model: DomainClassifier
    /// The folder it was loaded from (named in reports).
    public let directory: URL

    public init(directory: URL) throws {
        model = try DomainClassifier.load(directory: directory)
        self.directory = directory
    }

    public init(model: DomainClassifier, directory: URL) {
        (self.model, self.directory) = (model, directory)
    }

    public var featureDimension: Int { model.config.featureDimension }

    /// Grey planes in [0, 1]: each image resized (PIL bilinear) to the network's side when it differs, then
    /// converted to luminance as PIL's `convert("L")` (ITU-R 601-2: 0.299 R + 0.587 G + 0.114 B, rounded).
    /// Returns [n, 1, S, S].
    public static func input(_ images: [RGBImage], side: Int) -> Tensor {
        var values = [Float](repeating: 0, count: images.count * side * side)
        for (k, original) in images.enumerated() {
            let image = original.width == side && original.height == side
                ? original : original.resized(width: side, height: side, filter: .bilinear)
            let p = image.pixels
            for i in 0..<(side * side) {
                let l = (Int(p[3 * i]) * 19595 + Int(p[3 * i + 1]) * 38470 + Int(p[3 * i + 2]) * 7471 + 0x8000) >> 16
                values[k * side * side + i] = Float(l) / 255
            }
        }
        return Tensor(values, shape: [images.count, 1, side, side])
    }

    /// Features [n, feature_dim] (row-major) and predicted classes of `images`, `batch` at a time.
    public func apply(_ images: [RGBImage], batch: Int = 256) -> (features: [Float], predicted: [Int]) {
        apply(Self.input(images, side: model.config.imageSize), batch: batch)
    }

    /// Features and predicted classes of prepared inputs `x` [n, 1, S, S] in [0, 1].
    public func apply(_ x: Tensor, batch: Int = 256) -> (features: [Float], predicted: [Int]) {
        var features: [Float] = [], predicted: [Int] = []
        features.reserveCapacity(x.shape[0] * featureDimension)
        withNoGrad {
            for start in stride(from: 0, to: x.shape[0], by: batch) {
                let out = model(x.slice(axis: 0, start..<min(start + batch, x.shape[0])))
                features += out.features.scalars
                let logits = out.logits.scalars, c = model.config.numClasses
                for r in 0..<(logits.count / c) {
                    let row = logits[(r * c)..<((r + 1) * c)]
                    predicted.append(row.indices.max { row[$0] < row[$1] || (row[$0] == row[$1] && $0 > $1) }! - r * c)
                }
            }
        }
        return (features, predicted)
    }
}
