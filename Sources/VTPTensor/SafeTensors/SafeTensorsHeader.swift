/// One tensor's entry in a safetensors header.
public struct SafeTensorInfo: Sendable, Equatable, Hashable {
    public let name: String
    public let dtype: DType
    public let shape: [Int]
    /// The tensor's bytes, relative to the start of the data area (the `data_offsets` of the header).
    public let byteRange: Range<Int>

    public init(name: String, dtype: DType, shape: [Int], byteRange: Range<Int>) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.byteRange = byteRange
    }

    /// Number of elements (1 for a scalar, shape `[]`).
    public var elementCount: Int { shape.reduce(1, *) }
    public var byteCount: Int { byteRange.count }
}

/// A tensor name compared by its UTF-8 bytes, as the reference implementation does. (Swift's `String`
/// equality treats canonically equivalent names, like precomposed and decomposed "é", as equal.)
struct TensorNameKey: Hashable, Sendable {
    let utf8: [UInt8]
    init(_ name: String) { utf8 = Array(name.utf8) }
}

/// The parsed and validated header of a safetensors file.
struct SafeTensorsHeader {
    /// Largest header accepted, as the reference implementation (100 MB).
    static let maxHeaderLength = 100_000_000

    var metadata: [String: String]
    /// In header order.
    var tensors: [SafeTensorInfo]
    /// Where the data area starts in the file: 8 + header length.
    var dataStart: Int

    /// Parses and validates the header of `bytes`, a whole safetensors file, following the rules of the reference
    /// Rust implementation: the header length fits the file and 100 MB; the header is a UTF-8 JSON object; every
    /// entry is well-formed with a known dtype; each tensor's byte span matches its shape and dtype; and, taken in
    /// offset order, the tensors cover the data area exactly, without overlap, holes or trailing bytes.
    static func parse(_ bytes: UnsafeRawBufferPointer, file: String) throws -> SafeTensorsHeader {
        let size = bytes.count
        guard size >= 8, let base = bytes.baseAddress else { throw SafeTensorsError.fileTooSmall(file: file, size: size) }
        let length = UInt64(littleEndian: base.loadUnaligned(as: UInt64.self))
        if length == 0 { throw SafeTensorsError.headerLengthZero(file: file) }
        if length > UInt64(maxHeaderLength) {
            throw SafeTensorsError.headerTooLarge(file: file, length: length, limit: maxHeaderLength)
        }
        let n = Int(length)
        if n > size - 8 { throw SafeTensorsError.headerExceedsFile(file: file, length: length, fileSize: size) }
        let headerBytes = UnsafeRawBufferPointer(start: base + 8, count: n)
        let dataSize = size - 8 - n

        if !isValidUTF8(headerBytes) { throw SafeTensorsError.headerNotUTF8(file: file) }
        let json: STJSON
        do {
            json = try STJSONParser.parse(headerBytes)
        } catch let e as STJSONParseError {
            throw SafeTensorsError.headerNotJSON(file: file, reason: e.message)
        }
        guard case let .object(members) = json else { throw SafeTensorsError.headerNotObject(file: file) }

        var metadata: [String: String] = [:]
        var sawMetadata = false
        var tensors: [SafeTensorInfo] = []
        tensors.reserveCapacity(members.count)
        var seen = Set<TensorNameKey>()
        for (name, value) in members {
            if name == "__metadata__" {
                if sawMetadata { throw SafeTensorsError.duplicateTensorName(file: file, tensor: name) }
                sawMetadata = true
                metadata = try parseMetadata(value, file: file)
                continue
            }
            if !seen.insert(TensorNameKey(name)).inserted { throw SafeTensorsError.duplicateTensorName(file: file, tensor: name) }
            tensors.append(try parseEntry(name: name, value: value, dataSize: dataSize, file: file))
        }
        try checkLayout(tensors, dataSize: dataSize, file: file)
        return SafeTensorsHeader(metadata: metadata, tensors: tensors, dataStart: 8 + n)
    }

    private static func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var decoder = UTF8()
        var iterator = bytes.makeIterator()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }

    private static func parseMetadata(_ value: STJSON, file: String) throws -> [String: String] {
        switch value {
        case .null: return [:]  // serde reads `null` as an absent Option
        case let .object(members):
            var result: [String: String] = [:]
            for (key, v) in members {
                guard case let .string(s) = v else { throw SafeTensorsError.metadataValueNotString(file: file, key: key) }
                if result.updateValue(s, forKey: key) != nil {
                    throw SafeTensorsError.invalidMetadata(file: file, reason: "duplicate key '\(key)'")
                }
            }
            return result
        default:
            throw SafeTensorsError.invalidMetadata(file: file, reason: "must be an object of strings, found \(value.typeName)")
        }
    }

    private static func parseEntry(name: String, value: STJSON, dataSize: Int, file: String) throws -> SafeTensorInfo {
        guard case let .object(fields) = value else { throw SafeTensorsError.tensorEntryNotObject(file: file, tensor: name) }
        func field(_ key: String) throws -> STJSON {
            let matches = fields.filter { $0.key == key }
            if matches.count > 1 {
                throw SafeTensorsError.wrongFieldType(file: file, tensor: name, field: key, expected: "given once")
            }
            guard let m = matches.first else { throw SafeTensorsError.missingField(file: file, tensor: name, field: key) }
            return m.value
        }
        // Unknown extra fields are ignored, as serde does.
        guard case let .string(dtypeName) = try field("dtype") else {
            throw SafeTensorsError.wrongFieldType(file: file, tensor: name, field: "dtype", expected: "a string")
        }
        guard case let .array(dims) = try field("shape") else {
            throw SafeTensorsError.wrongFieldType(file: file, tensor: name, field: "shape", expected: "an array of integers")
        }
        guard case let .array(offsets) = try field("data_offsets") else {
            throw SafeTensorsError.wrongFieldType(
                file: file, tensor: name, field: "data_offsets", expected: "an array of two integers")
        }
        guard let dtype = DType(rawValue: dtypeName) else {
            throw SafeTensorsError.unknownDType(file: file, tensor: name, dtype: dtypeName)
        }
        var shape: [Int] = []
        shape.reserveCapacity(dims.count)
        for d in dims {
            guard case let .value(v) = d.integerValue, v >= 0, !d.compactText.hasPrefix("-") else {
                if d.integerValue == .tooLarge, !d.compactText.hasPrefix("-") {
                    throw SafeTensorsError.shapeOverflow(file: file, tensor: name, shape: shape)
                }
                throw SafeTensorsError.invalidDimension(file: file, tensor: name, dimension: d.compactText)
            }
            shape.append(v)
        }
        guard offsets.count == 2 else {
            throw SafeTensorsError.wrongFieldType(
                file: file, tensor: name, field: "data_offsets", expected: "an array of two integers")
        }
        var bounds: [Int] = []
        for o in offsets {
            switch o.integerValue {
            case let .value(v) where v >= 0 && !o.compactText.hasPrefix("-"): bounds.append(v)
            case .tooLarge where !o.compactText.hasPrefix("-"):
                // Larger than any file: report it as out of bounds with a saturated value.
                bounds.append(Int.max)
            default: throw SafeTensorsError.invalidOffset(file: file, tensor: name, value: o.compactText)
            }
        }
        let (begin, end) = (bounds[0], bounds[1])

        var bytesNeeded = dtype.byteSize
        for d in shape {
            let (p, overflow) = bytesNeeded.multipliedReportingOverflow(by: d)
            if overflow { throw SafeTensorsError.shapeOverflow(file: file, tensor: name, shape: shape) }
            bytesNeeded = p
        }
        if end < begin || end > dataSize {
            throw SafeTensorsError.offsetsOutOfBounds(file: file, tensor: name, begin: begin, end: end, dataSize: dataSize)
        }
        if end - begin != bytesNeeded {
            throw SafeTensorsError.sizeMismatch(
                file: file, tensor: name, dtype: dtype, shape: shape, expectedBytes: bytesNeeded, actualBytes: end - begin)
        }
        return SafeTensorInfo(name: name, dtype: dtype, shape: shape, byteRange: begin..<end)
    }

    /// The reference implementation sorts entries by (begin, end) and requires each to start where the previous
    /// one ended, the first at 0 and the last to end at the end of the file.
    private static func checkLayout(_ tensors: [SafeTensorInfo], dataSize: Int, file: String) throws {
        let order = tensors.indices.sorted {
            let a = tensors[$0].byteRange, b = tensors[$1].byteRange
            return (a.lowerBound, a.upperBound, $0) < (b.lowerBound, b.upperBound, $1)  // ties: header order
        }
        var covered = 0
        var previous: String? = nil
        for i in order {
            let t = tensors[i]
            if t.byteRange.lowerBound < covered {
                throw SafeTensorsError.overlappingTensors(file: file, tensor: t.name, other: previous ?? "")
            }
            if t.byteRange.lowerBound > covered {
                throw SafeTensorsError.holeBetweenTensors(
                    file: file, before: previous, after: t.name, gapBegin: covered, gapEnd: t.byteRange.lowerBound)
            }
            covered = t.byteRange.upperBound
            previous = t.name
        }
        if covered != dataSize { throw SafeTensorsError.dataNotCovered(file: file, coveredBytes: covered, dataSize: dataSize) }
    }
}
