import Foundation

/// One example of an image–text dataset: the decoded image, its caption (nil when the dataset has none),
/// its class label (nil when unlabelled) and a stable key naming it (file path, tar key, "scene-17"...).
public struct ImageTextSample: Sendable, Equatable {
    public var image: RGBImage
    public var caption: String?
    public var label: Int?
    public var key: String

    public init(image: RGBImage, caption: String?, label: Int?, key: String) {
        self.image = image
        self.caption = caption
        self.label = label
        self.key = key
    }
}

/// A random-access collection of image–text samples. `sample(_:)` may be called concurrently from
/// several loader threads, so implementations must be thread-safe (the ones here are immutable after init).
/// A sample that cannot be produced (corrupt image...) throws, preferably `DatasetError.badSample`, which the
/// `DataLoader` turns into a `DataIssue` and skips.
public protocol ImageTextDataset: Sendable {
    /// Number of samples; valid indices are `0..<count`.
    var count: Int { get }
    /// Prompt-friendly class names (index = label), or nil for unlabelled datasets.
    var classNames: [String]? { get }
    /// The sample at `index` (0 ..< count).
    func sample(_ index: Int) throws -> ImageTextSample
    /// Problems found while indexing (rows without a caption, tar members without an image...); these
    /// entries were left out of `count`. Defaults to none.
    var issues: [DataIssue] { get }
}

extension ImageTextDataset {
    public var issues: [DataIssue] { [] }
}

/// A skipped piece of data: which file / key, which dataset index (when it has one) and why.
public struct DataIssue: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// Dataset index of the sample, or nil for problems found while indexing (those never got an index).
    public var index: Int?
    /// File path, tar member key or row reference ("captions.csv line 7").
    public var source: String
    public var reason: String

    public init(index: Int? = nil, source: String, reason: String) {
        self.index = index
        self.source = source
        self.reason = reason
    }

    public var description: String {
        if let index { return "[\(index)] \(source): \(reason)" }
        return "\(source): \(reason)"
    }

    /// A printable multi-line report ("3 data issues:" then one line each, at most `limit` lines).
    public static func report(_ issues: [DataIssue], limit: Int = 50) -> String {
        if issues.isEmpty { return "no data issues" }
        var lines = ["\(issues.count) data issue\(issues.count == 1 ? "" : "s"):"]
        for issue in issues.prefix(limit) { lines.append("  " + issue.description) }
        if issues.count > limit { lines.append("  ... and \(issues.count - limit) more") }
        return lines.joined(separator: "\n")
    }
}

/// Errors of dataset construction (thrown: the dataset cannot be used at all) and of single samples
/// (`badSample`: the loader records it as a `DataIssue` and skips the sample).
public enum DatasetError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A required file or folder does not exist.
    case notFound(path: String)
    /// A file exists but cannot be read.
    case unreadable(path: String, reason: String)
    /// The dataset has no usable samples (empty folder, no matching files, every row rejected).
    case empty(source: String, reason: String)
    /// A file whose structure is wrong as a whole (bad IDX header, unterminated CSV quote...).
    case malformed(path: String, reason: String)
    /// An argument out of range (index outside `0..<count`, size < 1...).
    case invalidArgument(String)
    /// One sample could not be produced (decode failure, unreadable member...).
    case badSample(source: String, reason: String)

    public var description: String {
        switch self {
        case .notFound(let path): return "dataset path not found: '\(path)'"
        case .unreadable(let path, let reason): return "cannot read '\(path)': \(reason)"
        case .empty(let source, let reason): return "no usable samples in '\(source)': \(reason)"
        case .malformed(let path, let reason): return "malformed dataset file '\(path)': \(reason)"
        case .invalidArgument(let message): return "invalid dataset argument: \(message)"
        case .badSample(let source, let reason): return "bad sample '\(source)': \(reason)"
        }
    }
}

/// Prompt templates for captions made from class names (CLIP-style "a photo of a {}.").
public enum CaptionTemplates {
    /// General photos (class folders).
    public static let photo: [String] = [
        "a photo of a {}.",
        "a picture of a {}.",
        "an image of a {}.",
        "a close-up photo of a {}.",
        "a cropped photo of a {}.",
        "a good photo of a {}.",
    ]

    /// Grayscale product images (Fashion-MNIST).
    public static let grayscale: [String] = [
        "a photo of a {}.",
        "a black and white photo of a {}.",
        "a grayscale photo of a {}.",
        "a low resolution photo of a {}.",
        "a centered photo of a {}.",
        "a small photo of a {}.",
    ]

    /// `template` with `{}` replaced by `name`; "a" becomes "an" before a vowel sound ("an ankle boot").
    public static func fill(_ template: String, with name: String) -> String {
        var t = template
        if let first = name.lowercased().first, "aeiou".contains(first) {
            t = t.replacingOccurrences(of: " a {}", with: " an {}")
            if t.hasPrefix("a {}") { t = "an {}" + t.dropFirst(4) }
            if t.hasPrefix("A {}") { t = "An {}" + t.dropFirst(4) }
        }
        return t.replacingOccurrences(of: "{}", with: name)
    }

    /// The template used for sample `index` (a fixed hash of the index, so labels and templates are not
    /// correlated by position) filled with `name`.
    public static func caption(for name: String, index: Int, templates: [String]) -> String {
        precondition(!templates.isEmpty, "caption: no templates")
        let pick = Int(SampleSeeds.mix(UInt64(truncatingIfNeeded: index), 0x7E3A_11C5) % UInt64(templates.count))
        return fill(templates[pick], with: name)
    }
}

/// Seed derivation shared by datasets and the loader: every random stream is a pure function of
/// (seed, epoch, index), never of thread timing.
public enum SampleSeeds {
    /// SplitMix64 finaliser of `a` combined with `b`.
    @inline(__always)
    public static func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var z = a &+ 0x9E37_79B9_7F4A_7C15 &* (b &+ 1)
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Seed for sample `index` of `epoch` under `seed`.
    public static func sampleSeed(seed: UInt64, epoch: Int, index: Int) -> UInt64 {
        mix(mix(mix(seed, 0x5EED), UInt64(truncatingIfNeeded: epoch)), UInt64(truncatingIfNeeded: index))
    }

    /// Seed for the sample order of `epoch`.
    public static func epochSeed(seed: UInt64, epoch: Int) -> UInt64 {
        mix(mix(seed, 0xE90C), UInt64(truncatingIfNeeded: epoch))
    }
}
