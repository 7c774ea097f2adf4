import Foundation
import VTPTensor

/// The tensors of a PyTorch checkpoint (`torch.save` of a state dict or of a dict of them), read without Python
/// and without executing anything.
///
/// Both formats are read: the zip archive of torch ≥ 1.6 (`<name>/data.pkl` + `<name>/data/<key>` storages) and the
/// legacy stream of older versions (and `_use_new_zipfile_serialization=False`): magic, protocol and system-info
/// pickles, the object pickle, the list of storage keys, then each storage as an int64 element count and its bytes.
/// The pickles run on `RestrictedUnpickler` (allow-list of globals, see there). Nested dicts (and lists) are
/// flattened with `.` (`state_dict.conv.weight`, `layers.0.weight`); values that are not tensors are listed in
/// `skipped` with their Python type. Tensors come out contiguous (row-major) whatever their strides.
public struct TorchCheckpoint: Sendable {
    public let file: String
    /// Tensors in the checkpoint's order.
    public let tensors: [(name: String, tensor: StoredTensor)]
    /// Non-tensor leaves: name and Python type.
    public let skipped: [(name: String, kind: String)]
    /// True for the zip format, false for the legacy stream.
    public let isZip: Bool

    public subscript(name: String) -> StoredTensor? { tensors.first { $0.name == name }?.tensor }
    public var names: [String] { tensors.map(\.name) }

    /// Reads `url`; with `key`, only that entry of the top-level dict (dots descend: `ema`, `state.model`).
    public init(url: URL, key: String? = nil) throws {
        try self.init(data: try readFileBytes(url), file: url.path, key: key)
    }

    public init(data: Data, file: String, key: String? = nil) throws {
        self.file = file
        let root: PickleValue
        let storages: StorageReader
        let arena = PickleArena()
        defer { arena.release() }
        if ZipArchive.looksLikeZip(data) {
            (root, storages) = try Self.readZip(data, file: file, arena: arena)
            isZip = true
        } else {
            (root, storages) = try data.withUnsafeBytes { raw in try Self.readLegacy(raw, file: file, arena: arena) }
            isZip = false
        }
        var selected = root
        var prefix = ""
        if let key {
            for part in key.split(separator: ".", omittingEmptySubsequences: false).map(String.init) {
                guard case let .dict(d) = selected else {
                    throw FormatError.keyNotFound(file: file, key: key, available: [])
                }
                guard let hit = d.entries.first(where: { $0.key.keyText == part }) else {
                    throw FormatError.keyNotFound(file: file, key: key, available: d.entries.compactMap { $0.key.keyText })
                }
                selected = hit.value
            }
            prefix = ""
        }
        var tensors: [(String, StoredTensor)] = []
        var skipped: [(String, String)] = []
        var walk = Walk(storages: storages, file: file)
        try walk.flatten(selected, prefix: prefix, depth: 0)
        tensors = walk.tensors
        skipped = walk.skipped
        self.tensors = tensors
        self.skipped = skipped
    }

    // MARK: formats

    private static func readZip(_ data: Data, file: String, arena: PickleArena) throws -> (PickleValue, StorageReader) {
        let zip = try ZipArchive(data: data, file: file)
        guard let pkl = zip.entries.first(where: { $0.name == "data.pkl" || $0.name.hasSuffix("/data.pkl") }) else {
            throw FormatError.zipEntryMissing(file: file, entry: "<archive>/data.pkl")
        }
        let base = String(pkl.name.dropLast("data.pkl".count))
        if let order = zip.entry(base + "byteorder") {
            let text = String(decoding: try zip.contents(of: order), as: UTF8.self)
            if text != "little" { throw FormatError.unsupported(file: file, reason: "byte order '\(text)' (only little-endian)") }
        }
        let pickle = try zip.contents(of: pkl)
        var wanted: [String: (DType, Int)] = [:]
        let root: PickleValue = try pickle.withUnsafeBytes { raw in
            let u = RestrictedUnpickler(file: file, bytes: raw, arena: arena) { pid in
                let s = try storageReference(pid, file: file, legacy: false)
                if case let .storage(dtype, key, count, _) = s { wanted[key] = (dtype, count) }
                return s
            }
            return try u.load(from: 0).0
        }
        // Storages are read when a tensor of the selected entry needs them: `key: "ema"` of a training checkpoint
        // never reads the model's or the optimizer's bytes.
        let referenced = wanted
        let reader = StorageReader(file: file) { key in
            guard let (dtype, count) = referenced[key] else { return nil }
            let bytes = try zip.contents(of: base + "data/" + key)
            let (need, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
            guard !overflow, bytes.count >= need else {
                throw FormatError.storageOutOfRange(file: file, tensor: "storage \(key)",
                                         reason: "holds \(bytes.count) bytes, fewer than its \(count) \(dtype) elements")
            }
            return bytes
        }
        return (root, reader)
    }

    /// The LONG1 encoding of torch's legacy magic number 0x1950a86a20f9469cfc6c.
    private static let legacyMagic: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]

    private static func readLegacy(_ raw: UnsafeRawBufferPointer, file: String, arena: PickleArena) throws -> (PickleValue, StorageReader) {
        if raw.count > 262, raw[257] == 0x75, raw[258] == 0x73, raw[259] == 0x74, raw[260] == 0x61, raw[261] == 0x72 {
            throw FormatError.unsupported(file: file, reason: "the tar checkpoint format of torch < 0.1.10")
        }
        guard raw.count >= 2, raw[0] == 0x80 else {
            throw FormatError.invalidPickle(file: file, offset: 0, reason: "neither a zip archive nor a pickle stream (not a PyTorch checkpoint)")
        }
        var wanted: [String: (DType, Int)] = [:]
        let plain = RestrictedUnpickler(file: file, bytes: raw, arena: arena) { _ in
            throw FormatError.invalidPickle(file: file, offset: 0, reason: "persistent id in a header pickle")
        }
        let (magic, p1) = try plain.load(from: 0)
        guard case let .bigInt(m) = magic, m == legacyMagic else {
            throw FormatError.invalidPickle(file: file, offset: 0, reason: "the first pickle is not torch's magic number (not a PyTorch checkpoint)")
        }
        let (version, p2) = try plain.load(from: p1)
        guard case let .int(v) = version, v == 1001 else {
            throw FormatError.unsupported(file: file, reason: "legacy protocol version \(version.kind == "int" ? "\(version)" : version.kind) (expected 1001)")
        }
        let (sysInfo, p3) = try plain.load(from: p2)
        if case let .dict(d) = sysInfo, let le = d.entries.first(where: { $0.key.keyText == "little_endian" }), case .bool(false) = le.value {
            throw FormatError.unsupported(file: file, reason: "a big-endian checkpoint")
        }
        let objects = RestrictedUnpickler(file: file, bytes: raw, arena: arena) { pid in
            let s = try storageReference(pid, file: file, legacy: true)
            if case let .storage(dtype, key, _, view) = s {
                // The root storage's size is only known from its data; the view bounds are checked there.
                var end = 0
                if let v = view {
                    let (sum, overflow) = v.offset.addingReportingOverflow(v.count)
                    if overflow { throw FormatError.storageOutOfRange(file: file, tensor: "storage \(key)", reason: "view [\(v.offset), +\(v.count)) overflows") }
                    end = sum
                }
                wanted[key] = (dtype, Swift.max(end, wanted[key]?.1 ?? 0))
            }
            return s
        }
        let (root, p4) = try objects.load(from: p3)
        let (keyList, p5) = try plain.load(from: p4)
        guard case let .list(keys) = keyList else {
            throw FormatError.invalidPickle(file: file, offset: p4, reason: "the storage key list is a \(keyList.kind)")
        }
        let r = ByteReader(bytes: raw, file: file)
        var storages: [String: [UInt8]] = [:]
        var p = p5
        for k in keys.items {
            guard let key = k.keyText else { throw FormatError.invalidPickle(file: file, offset: p4, reason: "a storage key is a \(k.kind)") }
            guard let (dtype, minCount) = wanted[key] else {
                throw FormatError.invalidPickle(file: file, offset: p4, reason: "storage '\(key)' is listed but never referenced (its dtype is unknown)")
            }
            let count = try r.u64(p, "size of storage '\(key)'")
            let (n, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
            guard !overflow else { throw FormatError.storageOutOfRange(file: file, tensor: "storage \(key)", reason: "\(count) elements overflow") }
            guard count >= minCount else {
                throw FormatError.storageOutOfRange(file: file, tensor: "storage \(key)", reason: "a view ends at element \(minCount) but it holds \(count)")
            }
            storages[key] = Array(try r.slice(p + 8, n, "data of storage '\(key)'"))
            p += 8 + n
        }
        for key in wanted.keys where storages[key] == nil {
            throw FormatError.storageOutOfRange(file: file, tensor: "storage \(key)", reason: "referenced but missing from the storage list")
        }
        let read = storages
        return (root, StorageReader(file: file) { read[$0] })
    }

    /// ('storage', StorageType, key, location, numel[, view_metadata]) → `.storage`.
    private static func storageReference(_ pid: PickleValue, file: String, legacy: Bool) throws -> PickleValue {
        guard case let .tuple(t) = pid, t.count >= 5, case .string("storage") = t[0] else {
            throw FormatError.invalidPickle(file: file, offset: 0, reason: "persistent id \(pid.kind) is not a storage reference")
        }
        guard case let .global(_, typeName) = t[1], let dtype = RestrictedUnpickler.storageTypes[typeName] else {
            throw FormatError.invalidPickle(file: file, offset: 0, reason: "storage type is a \(t[1].kind)")
        }
        guard let key = t[2].keyText, case let .int(count) = t[4], count >= 0 else {
            throw FormatError.invalidPickle(file: file, offset: 0, reason: "storage reference with a bad key or size")
        }
        var view: (Int, Int)? = nil
        if legacy, t.count >= 6, case let .tuple(v) = t[5] {
            guard v.count == 3, case let .int(off) = v[1], case let .int(n) = v[2], off >= 0, n >= 0 else {
                throw FormatError.invalidPickle(file: file, offset: 0, reason: "bad storage view metadata")
            }
            view = (Int(off), Int(n))
        }
        // A legacy view's data lives in its root storage, whose key is the view's first field.
        if legacy, let v = view, case let .tuple(meta) = t[5], let rootKey = meta[0].keyText {
            return .storage(dtype: dtype, key: rootKey, count: v.1, view: (v.0, v.1))
        }
        return .storage(dtype: dtype, key: key, count: Int(count), view: legacy ? (0, Int(count)) : nil)
    }

    /// A checkpoint's storages by key, read on first use and kept for the tensors that share them.
    private final class StorageReader {
        let file: String
        let read: (String) throws -> [UInt8]?
        var cache: [String: [UInt8]] = [:]

        init(file: String, read: @escaping (String) throws -> [UInt8]?) { (self.file, self.read) = (file, read) }

        /// The storage's bytes; nil when the checkpoint has no such storage.
        func bytes(_ key: String) throws -> [UInt8]? {
            if let hit = cache[key] { return hit }
            guard let b = try read(key) else { return nil }
            cache[key] = b
            return b
        }
    }

    // MARK: flattening

    /// Deepest nesting of containers flattened (a state dict of state dicts needs a handful).
    static let maxNesting = 100
    /// Most values visited while flattening: a pickle can share one container many times over (memo), so the
    /// tree it describes can be exponentially larger than the file.
    static let maxVisited = 2_000_000
    /// Largest tensor materialised from a smaller storage (zero or overlapping strides repeat elements).
    static let maxExpandedBytes = 1 << 26

    /// Flattens nested containers into named tensors, within `maxNesting` levels and `maxVisited` values.
    private struct Walk {
        let storages: StorageReader
        let file: String
        var tensors: [(String, StoredTensor)] = []
        var skipped: [(String, String)] = []
        var visited = 0

        init(storages: StorageReader, file: String) {
            self.storages = storages
            self.file = file
        }

        mutating func flatten(_ v: PickleValue, prefix: String, depth: Int) throws {
            visited += 1
            if visited > TorchCheckpoint.maxVisited {
                throw FormatError.unsupported(file: file, reason: "the pickle describes more than \(TorchCheckpoint.maxVisited) values (shared containers repeated)")
            }
            if depth > TorchCheckpoint.maxNesting {
                throw FormatError.unsupported(file: file, reason: "containers nested more than \(TorchCheckpoint.maxNesting) deep at '\(prefix.prefix(200))' (or a container that holds itself)")
            }
            func join(_ k: String) -> String { prefix.isEmpty ? k : prefix + "." + k }
            switch v {
            case let .dict(d):
                for (k, value) in d.entries {
                    guard let text = k.keyText else { skipped.append((join("<\(k.kind) key>"), value.kind)); continue }
                    try flatten(value, prefix: join(text), depth: depth + 1)
                }
            case let .list(l):
                for (i, value) in l.items.enumerated() { try flatten(value, prefix: join(String(i)), depth: depth + 1) }
            case let .tuple(items):
                for (i, value) in items.enumerated() { try flatten(value, prefix: join(String(i)), depth: depth + 1) }
            case let .tensor(view):
                let name = prefix.isEmpty ? "tensor" : prefix
                tensors.append((name, try TorchCheckpoint.materialize(view, name: name, storages: storages, file: file)))
            default:
                skipped.append((prefix.isEmpty ? "<root>" : prefix, v.kind))
            }
        }
    }

    /// Copies a strided view out of its storage into row-major bytes, checking every bound first.
    private static func materialize(_ v: TensorView, name: String, storages: StorageReader, file: String) throws -> StoredTensor {
        guard let storage = try storages.bytes(v.storageKey) else {
            throw FormatError.storageOutOfRange(file: file, tensor: name, reason: "storage '\(v.storageKey)' is missing")
        }
        let size = v.dtype.byteSize
        let available = storage.count / size - v.storageBase
        guard v.storageBase >= 0, available >= v.storageCount else {
            throw FormatError.storageOutOfRange(file: file, tensor: name, reason: "view [\(v.storageBase), +\(v.storageCount)) exceeds storage '\(v.storageKey)'")
        }
        var count = 1, last = v.offset
        for (d, s) in zip(v.shape, v.strides) {
            let (c, o1) = count.multipliedReportingOverflow(by: d)
            guard !o1 else { throw FormatError.storageOutOfRange(file: file, tensor: name, reason: "size \(v.shape) overflows") }
            count = c
            if d > 0 {
                let (step, o2) = (d - 1).multipliedReportingOverflow(by: s)
                let (sum, o3) = last.addingReportingOverflow(step)
                guard !o2, !o3 else { throw FormatError.storageOutOfRange(file: file, tensor: name, reason: "strides \(v.strides) overflow") }
                last = sum
            }
        }
        if count > 0 && last >= v.storageCount {
            throw FormatError.storageOutOfRange(file: file, tensor: name,
                                     reason: "size \(v.shape), stride \(v.strides), offset \(v.offset) reach element \(last) of a \(v.storageCount)-element storage")
        }
        if count == 0 { return StoredTensor(dtype: v.dtype, shape: v.shape, bytes: []) }
        // From here the last element lies inside the storage: offset, base and count × size cannot overflow, but
        // zero or overlapping strides can still describe far more elements than the storage holds.
        if count > v.storageCount && count > maxExpandedBytes / size {
            throw FormatError.storageOutOfRange(file: file, tensor: name,
                                     reason: "size \(v.shape) with stride \(v.strides) repeats a \(v.storageCount)-element storage into \(count) elements (more than \(maxExpandedBytes >> 20) MiB)")
        }
        let contiguous = Shape.strides(v.shape) == v.strides || count <= 1
        var out = [UInt8](repeating: 0, count: count * size)
        let base = (v.storageBase + v.offset) * size
        storage.withUnsafeBytes { src in
            out.withUnsafeMutableBytes { dst in
                if contiguous {
                    if count > 0 { dst.baseAddress!.copyMemory(from: src.baseAddress! + base, byteCount: count * size) }
                    return
                }
                var index = [Int](repeating: 0, count: v.shape.count)
                for i in 0..<count {
                    var e = 0
                    for (j, k) in index.enumerated() { e += k * v.strides[j] }
                    (dst.baseAddress! + i * size).copyMemory(from: src.baseAddress! + base + e * size, byteCount: size)
                    var a = v.shape.count - 1
                    while a >= 0 {
                        index[a] += 1
                        if index[a] < v.shape[a] { break }
                        index[a] = 0
                        a -= 1
                    }
                }
            }
        }
        return StoredTensor(dtype: v.dtype, shape: v.shape, bytes: out)
    }
}
