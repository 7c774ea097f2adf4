/// Errors from image reading, writing and geometry operations. Every case names the file (or says
/// "in-memory data") so a failure deep inside a data pipeline can be traced back to its input.
public enum ImageError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file does not exist.
    case fileNotFound(path: String)
    /// The file exists but could not be read (permissions, it is a directory, I/O error...).
    case readFailed(path: String, reason: String)
    /// Zero bytes of input.
    case emptyInput(source: String)
    /// The bytes are not PNG or JPEG. `detail` names the format when it was recognised (GIF, WebP...).
    case unsupportedFormat(source: String, detail: String)
    /// PNG/JPEG data that is malformed or truncated.
    case corrupt(source: String, format: String, reason: String)
    /// A valid file using a feature we do not decode (e.g. a 12-bit JPEG).
    case unsupportedFeature(source: String, format: String, reason: String)
    /// Dimensions beyond `ImageDecodeLimits` (checked before any pixel memory is allocated).
    case tooLarge(source: String, width: Int, height: Int, limits: ImageDecodeLimits)
    /// Allocation failure while decoding or encoding.
    case outOfMemory(source: String, reason: String)
    /// Encoding to PNG/JPEG failed.
    case encodeFailed(format: String, reason: String)
    /// Writing the output file (or renaming the temporary file into place) failed.
    case writeFailed(path: String, reason: String)
    /// A geometry or conversion argument is out of range (crop outside the image, wrong buffer size...).
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "image file not found: '\(path)'"
        case .readFailed(let path, let reason):
            return "cannot read image file '\(path)': \(reason)"
        case .emptyInput(let source):
            return "cannot decode image from \(source): the input is empty (0 bytes)"
        case .unsupportedFormat(let source, let detail):
            return "cannot decode image from \(source): unsupported format (\(detail)); only PNG and JPEG are supported"
        case .corrupt(let source, let format, let reason):
            return "cannot decode \(format) image from \(source): \(reason)"
        case .unsupportedFeature(let source, let format, let reason):
            return "cannot decode \(format) image from \(source): unsupported feature: \(reason)"
        case .tooLarge(let source, let width, let height, let limits):
            return "refusing to decode image from \(source): \(width)x\(height) exceeds the limits "
                + "(max side \(limits.maxWidth)x\(limits.maxHeight), max \(limits.maxPixels) pixels)"
        case .outOfMemory(let source, let reason):
            return "out of memory while processing image from \(source): \(reason)"
        case .encodeFailed(let format, let reason):
            return "cannot encode \(format) image: \(reason)"
        case .writeFailed(let path, let reason):
            return "cannot write image file '\(path)': \(reason)"
        case .invalidArgument(let message):
            return "invalid image argument: \(message)"
        }
    }
}

/// Bounds checked against the header before pixel memory is allocated, so that a tiny malicious
/// file cannot request gigabytes. The default total mirrors Pillow's DecompressionBombError threshold
/// (2 * Image.MAX_IMAGE_PIXELS = 178,956,970 pixels).
public struct ImageDecodeLimits: Equatable, Sendable {
    public var maxWidth: Int
    public var maxHeight: Int
    public var maxPixels: Int

    public init(maxWidth: Int = 1 << 17, maxHeight: Int = 1 << 17, maxPixels: Int = 178_956_970) {
        self.maxWidth = maxWidth
        self.maxHeight = maxHeight
        self.maxPixels = maxPixels
    }

    public static let `default` = ImageDecodeLimits()
}
