import CVTPData
import Foundation
import VTPTensor

/// Output container for `RGBImage.encode` / `write`.
public enum ImageFormat: Sendable, Equatable {
    /// Lossless, 8-bit RGB, zlib level 6 (Pillow's default), no interlacing.
    case png
    /// Baseline JPEG, 4:2:0 chroma subsampling and standard tables scaled by `quality` (1...100),
    /// JFIF header: the settings of Pillow's `save(..., quality=q)`.
    case jpeg(quality: Int)

    /// Pillow's default JPEG quality.
    public static let defaultJPEGQuality = 75

    /// `.png` for "png", `.jpeg(quality: 75)` for "jpg"/"jpeg"/"jpe"/"jfif" (case-insensitive); nil otherwise.
    public static func fromPathExtension(_ ext: String) -> ImageFormat? {
        switch ext.lowercased() {
        case "png": return .png
        case "jpg", "jpeg", "jpe", "jfif": return .jpeg(quality: defaultJPEGQuality)
        default: return nil
        }
    }

    var name: String {
        switch self {
        case .png: return "PNG"
        case .jpeg: return "JPEG"
        }
    }
}

/// The container a byte buffer holds, decided from its leading magic bytes.
public enum ImageContainer: String, Sendable, Equatable {
    case png = "PNG"
    case jpeg = "JPEG"

    /// PNG (`89 50 4E 47 0D 0A 1A 0A`) or JPEG (`FF D8 FF`); nil for anything else.
    public static func sniff<C: Collection>(_ bytes: C) -> ImageContainer? where C.Element == UInt8 {
        let head = Array(bytes.prefix(8))
        if head.count >= 8, head == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] { return .png }
        if head.count >= 3, head[0] == 0xFF, head[1] == 0xD8, head[2] == 0xFF { return .jpeg }
        return nil
    }

    /// A human-readable guess for bytes that are not PNG/JPEG (used in error messages).
    static func describeUnknown(_ bytes: [UInt8]) -> String {
        func starts(_ prefix: [UInt8], at offset: Int = 0) -> Bool {
            bytes.count >= offset + prefix.count && Array(bytes[offset..<offset + prefix.count]) == prefix
        }
        if starts(Array("GIF8".utf8)) { return "GIF" }
        if starts(Array("BM".utf8)) { return "BMP" }
        if starts(Array("RIFF".utf8)) && starts(Array("WEBP".utf8), at: 8) { return "WebP" }
        if starts([0x49, 0x49, 0x2A, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2A]) { return "TIFF" }
        if starts(Array("ftyp".utf8), at: 4) { return "HEIF/AVIF or other ISO-BMFF" }
        if starts([0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50]) || starts([0xFF, 0x4F, 0xFF, 0x51]) { return "JPEG 2000" }
        if starts([0x89, 0x50, 0x4E, 0x47]) { return "damaged PNG signature" }
        let hex = bytes.prefix(8).map { String(format: "%02X", $0) }.joined(separator: " ")
        return "unrecognised leading bytes \(hex)"
    }
}

extension RGBImage {
    // MARK: Decoding

    /// Reads and decodes a PNG or JPEG file (format from its content, not its name).
    public static func load(_ url: URL, limits: ImageDecodeLimits = .default) throws -> RGBImage {
        let bytes = try readFile(url)
        return try decode(bytes, limits: limits, source: "file '\(url.path)'")
    }

    /// Decodes PNG or JPEG bytes to RGB like Pillow's `Image.open(f).convert("RGB")`.
    public static func decode(_ data: [UInt8], limits: ImageDecodeLimits = .default) throws -> RGBImage {
        try decode(data, limits: limits, source: "in-memory data")
    }

    /// Decodes `Data` (see `decode(_: [UInt8])`).
    public static func decode(_ data: Data, limits: ImageDecodeLimits = .default) throws -> RGBImage {
        try decode([UInt8](data), limits: limits, source: "in-memory data")
    }

    /// Width and height from the header only, without decoding pixels.
    public static func dimensions(of data: [UInt8]) throws -> (width: Int, height: Int) {
        let source = "in-memory data"
        guard !data.isEmpty else { throw ImageError.emptyInput(source: source) }
        guard let container = ImageContainer.sniff(data) else {
            throw ImageError.unsupportedFormat(source: source, detail: ImageContainer.describeUnknown(data))
        }
        let p = probe(data, container)
        if Int(p.rc) != VTP_IMG_OK {
            throw mapDecodeError(p.rc, message: p.message, container: container, source: source, data: data,
                                 limits: .default)
        }
        return (p.width, p.height)
    }

    /// The header probe's status, size (0 where the header could not be read) and message; never maps errors, so
    /// that error mapping can call it (mapping through `dimensions(of:)` recursed forever on a too-large header).
    private static func probe(_ data: [UInt8], _ container: ImageContainer) -> (rc: Int32, width: Int, height: Int, message: [CChar]) {
        var w: UInt32 = 0, h: UInt32 = 0
        var message = [CChar](repeating: 0, count: 512)
        let rc: Int32 = data.withUnsafeBufferPointer { buf in
            switch container {
            case .png: return vtp_png_probe(buf.baseAddress, buf.count, &w, &h, &message, message.count)
            case .jpeg: return vtp_jpeg_probe(buf.baseAddress, buf.count, &w, &h, &message, message.count)
            }
        }
        return (rc, Int(w), Int(h), message)
    }

    static func decode(_ data: [UInt8], limits: ImageDecodeLimits, source: String) throws -> RGBImage {
        guard !data.isEmpty else { throw ImageError.emptyInput(source: source) }
        guard let container = ImageContainer.sniff(data) else {
            throw ImageError.unsupportedFormat(source: source, detail: ImageContainer.describeUnknown(data))
        }
        var cLimits = vtp_image_limits()
        cLimits.max_width = UInt32(clamping: max(0, limits.maxWidth))
        cLimits.max_height = UInt32(clamping: max(0, limits.maxHeight))
        cLimits.max_pixels = UInt64(max(0, limits.maxPixels))
        var image = vtp_rgb8_image()
        var message = [CChar](repeating: 0, count: 512)
        let rc: Int32 = data.withUnsafeBufferPointer { buf in
            switch container {
            case .png: return vtp_png_decode_rgb8(buf.baseAddress, buf.count, cLimits, &image, &message, message.count)
            case .jpeg: return vtp_jpeg_decode_rgb8(buf.baseAddress, buf.count, cLimits, &image, &message, message.count)
            }
        }
        guard Int(rc) == VTP_IMG_OK, let pixels = image.pixels else {
            if let p = image.pixels { vtp_image_free(p) }
            throw mapDecodeError(rc, message: message, container: container, source: source, data: data,
                                 limits: limits)
        }
        defer { vtp_image_free(pixels) }
        let w = Int(image.width), h = Int(image.height)
        let bytes = [UInt8](UnsafeBufferPointer(start: pixels, count: w * h * 3))
        return RGBImage(width: w, height: h, pixels: bytes)
    }

    private static func mapDecodeError(_ rc: Int32, message: [CChar], container: ImageContainer, source: String,
                                       data: [UInt8], limits: ImageDecodeLimits) -> ImageError {
        let reason = decodeCString(message, fallback: "decoder error \(rc)")
        switch Int(rc) {
        case VTP_IMG_ERR_TOO_LARGE:
            let p = probe(data, container)
            return .tooLarge(source: source, width: p.width > 0 ? p.width : -1, height: p.height > 0 ? p.height : -1, limits: limits)
        case VTP_IMG_ERR_UNSUPPORTED:
            return .unsupportedFeature(source: source, format: container.rawValue, reason: reason)
        case VTP_IMG_ERR_NOMEM:
            return .outOfMemory(source: source, reason: reason)
        default:
            return .corrupt(source: source, format: container.rawValue, reason: reason)
        }
    }

    private static func readFile(_ url: URL) throws -> [UInt8] {
        let path = url.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ImageError.fileNotFound(path: path)
        }
        if isDirectory.boolValue { throw ImageError.readFailed(path: path, reason: "it is a directory") }
        do {
            return [UInt8](try Data(contentsOf: url))
        } catch {
            throw ImageError.readFailed(path: path, reason: error.localizedDescription)
        }
    }

    // MARK: Encoding

    /// PNG or JPEG bytes for this image.
    public func encode(_ format: ImageFormat) throws -> [UInt8] {
        guard width > 0, height > 0 else {
            throw ImageError.encodeFailed(format: format.name, reason: "image is empty (\(width)x\(height))")
        }
        guard width <= Int(UInt32.max), height <= Int(UInt32.max) else {
            throw ImageError.encodeFailed(format: format.name, reason: "image too large (\(width)x\(height))")
        }
        var out: UnsafeMutablePointer<UInt8>? = nil
        var outSize = 0
        var message = [CChar](repeating: 0, count: 512)
        let rc: Int32 = pixels.withUnsafeBufferPointer { buf in
            switch format {
            case .png:
                return vtp_png_encode_rgb8(buf.baseAddress, UInt32(width), UInt32(height), 6, &out, &outSize,
                                           &message, message.count)
            case .jpeg(let quality):
                return vtp_jpeg_encode_rgb8(buf.baseAddress, UInt32(width), UInt32(height), Int32(clamping: quality),
                                            2, &out, &outSize, &message, message.count)
            }
        }
        guard Int(rc) == VTP_IMG_OK, let bytes = out else {
            if let p = out { vtp_image_free(p) }
            throw ImageError.encodeFailed(format: format.name, reason: decodeCString(message, fallback: "encoder error \(rc)"))
        }
        defer { vtp_image_free(bytes) }
        return [UInt8](UnsafeBufferPointer(start: bytes, count: outSize))
    }

    /// Encodes and writes atomically: the bytes go to a temporary file in the destination directory,
    /// which is then renamed over `url`, so readers never see a partial file. `format` nil: from the
    /// path extension (png, jpg/jpeg -> JPEG quality 75).
    public func write(to url: URL, format: ImageFormat? = nil) throws {
        let path = url.path
        guard let resolved = format ?? ImageFormat.fromPathExtension(url.pathExtension) else {
            throw ImageError.writeFailed(
                path: path, reason: "cannot infer the format from extension '\(url.pathExtension)'; pass format: .png or .jpeg(quality:)")
        }
        let bytes = try encode(resolved)
        do { try AtomicFile.write(bytes, to: url) } catch let e as AtomicFile.Failure {
            throw ImageError.writeFailed(path: path, reason: "\(e)")
        }
    }
}

private func decodeCString(_ buffer: [CChar], fallback: String) -> String {
    let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    let text = String(decoding: bytes, as: UTF8.self)
    return text.isEmpty ? fallback : text
}
