import Foundation
import VTPData
import VTPModels
import VTPNN
import VTPTensor

/// The network whose features a Fréchet distance compares: pytorch-fid's InceptionV3 (pool3, 2048-d: FID as
/// published) or a trained `DomainClassifier` (penultimate layer: a *domain* FD, comparable only between runs
/// measured with the same network).
public enum FeatureNetwork {
    case inception(InceptionV3, weights: URL)
    case domain(DomainNetwork)

    /// `--weights W` (Inception) or `--net DIR` (domain classifier); exactly one.
    public static func open(inceptionWeights: String?, domainNet: String?) throws -> FeatureNetwork {
        switch (inceptionWeights, domainNet) {
        case let (w?, nil): return .inception(try InceptionFeatures.model(weights: URL(fileURLWithPath: w)), weights: URL(fileURLWithPath: w))
        case let (nil, d?): return .domain(try DomainNetwork(directory: URL(fileURLWithPath: d)))
        case (nil, nil): throw MetricError.invalidInput("give the feature network: --weights (pytorch-fid Inception) or --net (a domain classifier folder)")
        case (_?, _?): throw MetricError.invalidInput("give one feature network, --weights or --net, not both")
        }
    }

    /// What the distance is called in reports: "FID" or "domain FD".
    public var metricName: String {
        switch self {
        case .inception: return "FID"
        case .domain: return "domain FD"
        }
    }

    /// One line naming the network and its weights.
    public var description: String {
        switch self {
        case .inception(_, let w): return "pytorch-fid InceptionV3 pool3 (2048-d), weights \(w.path)"
        case .domain(let d): return "domain classifier \(d.directory.path) (penultimate layer, \(d.featureDimension)-d)"
        }
    }

    public var dimension: Int {
        switch self {
        case .inception: return InceptionV3.featureDimension
        case .domain(let d): return d.featureDimension
        }
    }

    /// Features [n, D] (row-major) of 8-bit images. Inception takes them as pytorch-fid does (RGB in [0, 1] at
    /// their own size, resized to 299 inside the network), images of one size at a time.
    public func features(_ images: [RGBImage]) -> [Float] {
        switch self {
        case .domain(let d): return d.apply(images).features
        case .inception(let net, _):
            var out: [Float] = []
            var start = 0
            while start < images.count {
                let (w, h) = (images[start].width, images[start].height)
                var end = start + 1
                while end < images.count && end - start < 16 && images[end].width == w && images[end].height == h { end += 1 }
                out += withNoGrad { net.features(ImageTensors.unitRGB(Array(images[start..<end]))).scalars }
                start = end
            }
            return out
        }
    }
}

extension ImageTensors {
    /// 8-bit images of one size → [B, 3, H, W] in [0, 1] (torchvision's `ToTensor`).
    public static func unitRGB(_ images: [RGBImage]) -> Tensor {
        let (w, h) = (images[0].width, images[0].height), plane = w * h
        var v = [Float](repeating: 0, count: images.count * 3 * plane)
        for (k, image) in images.enumerated() {
            precondition(image.width == w && image.height == h, "unitRGB: images of one size")
            let p = image.pixels
            for i in 0..<plane { for c in 0..<3 { v[(k * 3 + c) * plane + i] = Float(p[3 * i + c]) / 255 } }
        }
        return Tensor(v, shape: [images.count, 3, h, w])
    }
}

/// A set of images to measure, named on the command line: a folder of images (pytorch-fid: the image files at
/// its top level; a folder with only class sub-folders is read as a class-folder dataset), a samples `.npz`
/// (`arr_0` uint8 [N, H, W, 3], the ADM evaluator's format), or `fmnist` / `fmnist-test`.
public struct ImageSet {
    public let name: String
    public let count: Int
    private let load: (Range<Int>) throws -> [RGBImage]

    public static let imageExtensions: Set<String> = ["png", "jpg", "jpeg", "bmp", "pgm", "ppm", "tif", "tiff", "webp"]

    public init(_ name: String, limit: Int? = nil) throws {
        self.name = name
        let url = URL(fileURLWithPath: name)
        var isDir: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: name, isDirectory: &isDir)
        if exists && !isDir.boolValue && url.pathExtension.lowercased() == "npz" {
            let z = try NumPyArchive(url: url)
            guard z.contains("arr_0") else { throw MetricError.invalidInput("\(name): no 'arr_0' images (uint8 [N, H, W, 3])") }
            let a = try z.array("arr_0")
            guard a.dtype == .u8, a.shape.count == 4, a.shape[3] == 3 || a.shape[3] == 1, a.shape[1] > 0, a.shape[2] > 0 else {
                throw MetricError.invalidInput("\(name): 'arr_0' is \(a.dtype) \(a.shape); images must be uint8 [N, H, W, 3]")
            }
            let (h, w, c) = (a.shape[1], a.shape[2], a.shape[3]), bytes = a.bytes
            count = min(a.shape[0], limit ?? .max)
            load = { range in
                range.map { i in
                    var px = [UInt8](repeating: 0, count: h * w * 3)
                    for p in 0..<(h * w) {
                        for k in 0..<3 { px[3 * p + k] = bytes[(i * h * w + p) * c + (c == 3 ? k : 0)] }
                    }
                    return RGBImage(width: w, height: h, pixels: px)
                }
            }
        } else if exists && isDir.boolValue, let files = try? Self.topLevelImages(url), !files.isEmpty {
            let chosen = Array(files.prefix(limit ?? .max))
            count = chosen.count
            load = { range in try range.map { try RGBImage.load(chosen[$0]) } }
        } else if exists && !isDir.boolValue {
            throw MetricError.invalidInput("\(name): not an image folder or a samples .npz (statistics files are read where a distance is taken)")
        } else {
            let dataset = try LabelledImages.open(name, limit: limit)
            count = dataset.count
            load = { range in try range.map { try dataset.sample($0).image } }
        }
        guard count > 0 else { throw MetricError.invalidInput("\(name): no images") }
    }

    /// The image files at the top level of `directory`, sorted by name.
    static func topLevelImages(_ directory: URL) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { imageExtensions.contains($0.pathExtension.lowercased()) }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    public func images(_ range: Range<Int>) throws -> [RGBImage] { try load(range) }
}
