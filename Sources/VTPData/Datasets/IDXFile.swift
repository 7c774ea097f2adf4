import Foundation

/// An IDX array (the MNIST file format): magic `00 00 TT DD` (TT = element type, DD = number of
/// dimensions), DD big-endian UInt32 sizes, then the elements row-major. Only unsigned-byte data
/// (type 0x08) is supported, which is what MNIST and Fashion-MNIST use. Files may be gzip-compressed.
public struct IDXFile: Sendable {
    /// Dimension sizes, e.g. [60000, 28, 28] for an image file, [60000] for a label file.
    public let shape: [Int]
    /// Elements, row-major (`shape.reduce(1, *)` bytes).
    public let bytes: Data

    /// Reads and validates `url` (gzip or raw, detected from the content). Throws `DatasetError` naming
    /// the file for a missing file, bad gzip data, a wrong magic number, or a size that does not match.
    public init(contentsOf url: URL, expectedRank: Int? = nil) throws {
        let data: Data
        do {
            data = try GzipReader.contents(of: url)
        } catch let failure {
            switch failure {
            case .unreadable(let reason) where reason == "no such file": throw DatasetError.notFound(path: url.path)
            case .unreadable(let reason): throw DatasetError.unreadable(path: url.path, reason: reason)
            case .corrupt(let reason): throw DatasetError.malformed(path: url.path, reason: "gzip data: \(reason)")
            }
        }
        try self.init(data: data, source: url.path, expectedRank: expectedRank)
    }

    /// Parses in-memory IDX bytes; `source` names them in errors.
    public init(data: Data, source: String = "in-memory data", expectedRank: Int? = nil) throws {
        func fail(_ reason: String) -> DatasetError { .malformed(path: source, reason: reason) }
        let base = data.startIndex
        guard data.count >= 4 else { throw fail("\(data.count) bytes is too short for an IDX header (4-byte magic)") }
        let magic = (0..<4).map { data[base + $0] }
        guard magic[0] == 0, magic[1] == 0 else {
            let hex = magic.map { String(format: "%02X", $0) }.joined(separator: " ")
            throw fail("bad IDX magic \(hex) (expected 00 00 08 NN)")
        }
        guard magic[2] == 0x08 else {
            throw fail("IDX element type 0x\(String(format: "%02X", magic[2])) is not supported (only 0x08, unsigned byte)")
        }
        let rank = Int(magic[3])
        guard rank >= 1 else { throw fail("IDX file declares 0 dimensions") }
        if let expectedRank, rank != expectedRank {
            throw fail("IDX file has \(rank) dimension\(rank == 1 ? "" : "s"), expected \(expectedRank)")
        }
        let headerSize = 4 + 4 * rank
        guard data.count >= headerSize else {
            throw fail("\(data.count) bytes is too short for an IDX header with \(rank) dimensions (\(headerSize) bytes)")
        }
        var shape: [Int] = []
        var total = 1
        for d in 0..<rank {
            let o = base + 4 + 4 * d
            let size = Int(data[o]) << 24 | Int(data[o + 1]) << 16 | Int(data[o + 2]) << 8 | Int(data[o + 3])
            shape.append(size)
            let (product, overflow) = total.multipliedReportingOverflow(by: size)
            guard !overflow, product <= 1 << 40 else { throw fail("IDX dimensions \(shape) are implausibly large") }
            total = product
        }
        let payload = data.count - headerSize
        guard payload == total else {
            let what = payload < total ? "truncated" : "has trailing bytes"
            throw fail("IDX data \(what): dimensions \(shape) need \(total) bytes after the header, found \(payload)")
        }
        self.shape = shape
        self.bytes = data.subdata(in: (base + headerSize)..<data.endIndex)
    }
}

/// Fashion-MNIST (Zalando): 28×28 grayscale product photos in 10 classes, read from the four IDX files
/// (`train-images-idx3-ubyte[.gz]` etc.). Images come out as RGB (gray replicated); captions are a
/// template picked per index from `CaptionTemplates.grayscale` filled with the class name.
public struct FashionMNISTDataset: ImageTextDataset {
    public enum Split: String, Sendable, CaseIterable {
        case train
        case test

        /// File name prefix: "train" or "t10k".
        public var filePrefix: String { self == .train ? "train" : "t10k" }
    }

    /// Where Debian's `dataset-fashion-mnist` package installs the files.
    public static let debianDirectory = URL(fileURLWithPath: "/usr/share/datasets/fashion-mnist")

    /// The official class names in label order.
    public static let officialClassNames = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]

    /// Prompt-friendly names in label order ("a photo of a {}.").
    public static let promptClassNames = [
        "t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot",
    ]

    public let split: Split
    public let width: Int
    public let height: Int
    public let templates: [String]
    private let pixels: Data
    private let labels: Data

    public var count: Int { labels.count }
    public var classNames: [String]? { Self.promptClassNames }

    /// Opens `split` in `directory` (files with or without `.gz`). Throws `DatasetError` when a file is
    /// missing or malformed, or image and label counts differ, or a label is not 0...9.
    public init(directory: URL = FashionMNISTDataset.debianDirectory, split: Split = .train,
                templates: [String] = CaptionTemplates.grayscale) throws {
        guard !templates.isEmpty else { throw DatasetError.invalidArgument("FashionMNISTDataset: no caption templates") }
        let imagesURL = try Self.locate(directory, "\(split.filePrefix)-images-idx3-ubyte")
        let labelsURL = try Self.locate(directory, "\(split.filePrefix)-labels-idx1-ubyte")
        let images = try IDXFile(contentsOf: imagesURL, expectedRank: 3)
        let labels = try IDXFile(contentsOf: labelsURL, expectedRank: 1)
        guard images.shape[0] == labels.shape[0] else {
            throw DatasetError.malformed(path: labelsURL.path,
                                         reason: "\(labels.shape[0]) labels for \(images.shape[0]) images in \(imagesURL.lastPathComponent)")
        }
        guard images.shape[0] > 0, images.shape[1] > 0, images.shape[2] > 0 else {
            throw DatasetError.empty(source: imagesURL.path, reason: "image array has shape \(images.shape)")
        }
        if let bad = labels.bytes.firstIndex(where: { $0 >= 10 }) {
            let i = bad - labels.bytes.startIndex
            throw DatasetError.malformed(path: labelsURL.path, reason: "label \(labels.bytes[bad]) at index \(i) is not in 0...9")
        }
        self.split = split
        self.height = images.shape[1]
        self.width = images.shape[2]
        self.pixels = images.bytes
        self.labels = labels.bytes
        self.templates = templates
    }

    /// `name.gz` if present, else `name`.
    private static func locate(_ directory: URL, _ name: String) throws -> URL {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DatasetError.notFound(path: directory.path)
        }
        for candidate in [name + ".gz", name] {
            let url = directory.appendingPathComponent(candidate)
            if FileManager.default.fileExists(atPath: url.path) { return url }
        }
        throw DatasetError.notFound(path: directory.appendingPathComponent(name + "[.gz]").path)
    }

    /// The label of sample `index` without decoding its image.
    public func label(_ index: Int) -> Int { Int(labels[labels.startIndex + index]) }

    public func sample(_ index: Int) throws -> ImageTextSample {
        guard index >= 0, index < count else {
            throw DatasetError.invalidArgument("index \(index) outside 0..<\(count)")
        }
        let plane = width * height
        var rgb = [UInt8](repeating: 0, count: plane * 3)
        pixels.withUnsafeBytes { raw in
            let src = raw.bindMemory(to: UInt8.self).baseAddress! + index * plane
            for i in 0..<plane {
                let v = src[i]
                rgb[3 * i] = v
                rgb[3 * i + 1] = v
                rgb[3 * i + 2] = v
            }
        }
        let label = self.label(index)
        let caption = CaptionTemplates.caption(for: Self.promptClassNames[label], index: index, templates: templates)
        return ImageTextSample(image: RGBImage(width: width, height: height, pixels: rgb), caption: caption,
                               label: label, key: "fashion-mnist/\(split.rawValue)/\(index)")
    }
}
