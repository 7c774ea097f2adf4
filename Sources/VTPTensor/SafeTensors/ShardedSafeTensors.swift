import Foundation

/// A checkpoint split into several safetensors files, described by an index such as
/// `model.safetensors.index.json`: `{"metadata": {...}, "weight_map": {tensor name: shard file name}}`.
///
/// Opening validates the index, opens (memory-maps) every shard it names, checks that each mapped tensor is in
/// its shard, and records tensors found in shards but absent from the map in `unmappedTensors`
/// (or throws `unmappedTensors` when `requireAllTensorsMapped`).
public final class ShardedSafeTensors: @unchecked Sendable {
    public let indexURL: URL
    /// The index's "metadata" object; values that are not strings (like `total_size`) as compact JSON text.
    public let metadata: [String: String]
    /// Tensor names in the order of the weight map.
    public let names: [String]
    /// Distinct shard file names, in order of first appearance in the weight map.
    public let shardFileNames: [String]
    /// Tensors present in a shard but not in the weight map (or mapped to another shard): name -> shard file name.
    public let unmappedTensors: [String: String]

    private let shardsByName: [String: SafeTensorsFile]
    private let shardOfTensor: [TensorNameKey: String]

    public init(indexURL: URL, requireAllTensorsMapped: Bool = false) throws {
        let indexPath = indexURL.path
        self.indexURL = indexURL
        let mapped = try MappedFile(path: indexPath)
        if mapped.bytes.count > SafeTensorsHeader.maxHeaderLength {
            // The same limit as a safetensors header: an index lists names only.
            throw SafeTensorsError.invalidIndex(
                file: indexPath, reason: "\(mapped.bytes.count) bytes, more than the \(SafeTensorsHeader.maxHeaderLength)-byte limit")
        }
        let json: STJSON
        do {
            guard String(validating: mapped.bytes, as: UTF8.self) != nil else {
                throw SafeTensorsError.invalidIndex(file: indexPath, reason: "not valid UTF-8")
            }
            json = try STJSONParser.parse(mapped.bytes)
        } catch let e as STJSONParseError {
            throw SafeTensorsError.invalidIndex(file: indexPath, reason: "not valid JSON: \(e.message)")
        }
        guard case let .object(top) = json else {
            throw SafeTensorsError.invalidIndex(file: indexPath, reason: "top level is not an object")
        }
        var metadata: [String: String] = [:]
        if let m = top.first(where: { $0.key == "metadata" })?.value {
            switch m {
            case .null: break
            case let .object(members):
                for (k, v) in members {
                    if case let .string(s) = v { metadata[k] = s } else { metadata[k] = v.compactText }
                }
            default: throw SafeTensorsError.invalidIndex(file: indexPath, reason: "\"metadata\" is not an object")
            }
        }
        guard let wm = top.first(where: { $0.key == "weight_map" })?.value else {
            throw SafeTensorsError.invalidIndex(file: indexPath, reason: "missing \"weight_map\"")
        }
        guard case let .object(entries) = wm else {
            throw SafeTensorsError.invalidIndex(file: indexPath, reason: "\"weight_map\" is not an object")
        }
        var names: [String] = []
        var shardOfTensor: [TensorNameKey: String] = [:]
        var shardFileNames: [String] = []
        for (name, v) in entries {
            guard case let .string(shard) = v else {
                throw SafeTensorsError.invalidIndex(file: indexPath, reason: "weight_map value for '\(name)' is not a string")
            }
            if shard.isEmpty || shard.hasPrefix("/") || shard.split(separator: "/").contains("..") {
                throw SafeTensorsError.invalidIndex(
                    file: indexPath, reason: "shard name '\(shard)' for '\(name)' must be a path inside the index's directory")
            }
            if shardOfTensor.updateValue(shard, forKey: TensorNameKey(name)) != nil {
                throw SafeTensorsError.invalidIndex(file: indexPath, reason: "tensor '\(name)' appears twice in weight_map")
            }
            if !shardFileNames.contains(shard) { shardFileNames.append(shard) }
            names.append(name)
        }

        let directory = indexURL.deletingLastPathComponent()
        var shards: [String: SafeTensorsFile] = [:]
        for shard in shardFileNames {
            let url = directory.appendingPathComponent(shard)
            if !FileManager.default.fileExists(atPath: url.path) {
                throw SafeTensorsError.shardMissing(file: indexPath, shard: shard)
            }
            shards[shard] = try SafeTensorsFile(url: url)
        }
        for name in names {
            let shard = shardOfTensor[TensorNameKey(name)]!
            if !shards[shard]!.contains(name) {
                throw SafeTensorsError.tensorMissingFromShard(file: indexPath, tensor: name, shard: shard)
            }
        }
        var unmapped: [String: String] = [:]
        for shard in shardFileNames {
            for name in shards[shard]!.names where shardOfTensor[TensorNameKey(name)] != shard { unmapped[name] = shard }
        }
        if requireAllTensorsMapped && !unmapped.isEmpty {
            throw SafeTensorsError.unmappedTensors(file: indexPath, tensors: unmapped.keys.sorted())
        }

        self.metadata = metadata
        self.names = names
        self.shardFileNames = shardFileNames
        self.unmappedTensors = unmapped
        self.shardsByName = shards
        self.shardOfTensor = shardOfTensor
    }

    public var count: Int { names.count }
    public func contains(_ name: String) -> Bool { shardOfTensor[TensorNameKey(name)] != nil }

    /// The shard file name holding `name`.
    public func shardFileName(of name: String) throws -> String {
        guard let s = shardOfTensor[TensorNameKey(name)] else { throw SafeTensorsError.tensorNotFound(file: indexURL.path, tensor: name) }
        return s
    }

    /// The opened shard holding `name`.
    public func shard(containing name: String) throws -> SafeTensorsFile {
        shardsByName[try shardFileName(of: name)]!
    }

    public func info(_ name: String) throws -> SafeTensorInfo { try shard(containing: name).info(name) }
    public func floats(_ name: String) throws -> [Float] { try shard(containing: name).floats(name) }
    public func int64s(_ name: String) throws -> [Int64] { try shard(containing: name).int64s(name) }
    public func bytes(_ name: String) throws -> [UInt8] { try shard(containing: name).bytes(name) }
    public func withRawBytes<R>(_ name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try shard(containing: name).withRawBytes(name, body)
    }
}

/// What `SafeTensorsWriter.writeSharded` wrote.
public struct SafeTensorsShardedWriteResult: Sendable, Equatable {
    /// The shard files, in order.
    public let shardURLs: [URL]
    /// The index file; nil when everything fit in one shard and no index was asked for.
    public let indexURL: URL?
}

extension SafeTensorsWriter {
    /// Splits the tensors into shards of at most `maxShardSize` data bytes as huggingface_hub does: tensors in the
    /// order they were added; a tensor larger than the limit gets a shard of its own; otherwise a new shard starts
    /// when the next tensor would overflow the current one. Shards are named `model-00001-of-00003.safetensors`
    /// (with `baseName` for "model") and an index `model.safetensors.index.json` is written last, formatted as
    /// Python's `json.dumps(index, indent=2, sort_keys=True)` with `{"total_size": data bytes}` (plus
    /// `indexMetadata`) as metadata. With a single shard the file is `model.safetensors` and, as in HF, there is
    /// no index unless `alwaysWriteIndex`. Each shard carries this writer's `metadata`. Every file is atomic.
    @discardableResult
    public func writeSharded(
        toDirectory directory: URL, maxShardSize: Int, baseName: String = "model",
        indexMetadata: [String: String] = [:], alwaysWriteIndex: Bool = false
    ) throws -> SafeTensorsShardedWriteResult {
        let indexURL = directory.appendingPathComponent("\(baseName).safetensors.index.json")
        if maxShardSize <= 0 { throw SafeTensorsError.invalidShardSize(file: indexURL.path, size: maxShardSize) }
        let groups = Self.shardGroups(sizes: entries.map { $0.data.byteCount($0.dtype) }, maxShardSize: maxShardSize)
        let fileNames: [String] = groups.count == 1
            ? ["\(baseName).safetensors"]
            : groups.indices.map { "\(baseName)-\(Self.fiveDigits($0 + 1))-of-\(Self.fiveDigits(groups.count)).safetensors" }

        var urls: [URL] = []
        var weightMap: [(String, String)] = []
        for (group, fileName) in zip(groups, fileNames) {
            var shard = SafeTensorsWriter(metadata: metadata)
            shard.entries = group.map { entries[$0] }
            shard.failAfterBytesForTesting = failAfterBytesForTesting
            let url = directory.appendingPathComponent(fileName)
            try shard.write(to: url)
            urls.append(url)
            for i in group { weightMap.append((entries[i].name, fileName)) }
        }
        if groups.count == 1 && !alwaysWriteIndex { return SafeTensorsShardedWriteResult(shardURLs: urls, indexURL: nil) }

        var meta: [(String, STJSON)] = indexMetadata.map { ($0.key, .string($0.value)) }
        meta.removeAll { $0.0 == "total_size" }
        meta.append(("total_size", .number(String(totalDataBytes))))
        let text = Self.pythonIndentedJSON(metadata: meta, weightMap: weightMap)
        try SafeTensorsWriter.writeFile(chunks: [Array(text.utf8)], to: indexURL)
        return SafeTensorsShardedWriteResult(shardURLs: urls, indexURL: indexURL)
    }

    /// Indices of the tensors in each shard.
    static func shardGroups(sizes: [Int], maxShardSize: Int) -> [[Int]] {
        var groups: [[Int]] = []
        var current: [Int] = []
        var currentSize = 0
        for (i, size) in sizes.enumerated() {
            if size > maxShardSize {
                groups.append([i])
                continue
            }
            if currentSize + size > maxShardSize && !current.isEmpty {
                groups.append(current)
                current = []
                currentSize = 0
            }
            current.append(i)
            currentSize += size
        }
        if !current.isEmpty || groups.isEmpty { groups.append(current) }
        return groups
    }

    private static func fiveDigits(_ n: Int) -> String {
        let s = String(n)
        return String(repeating: "0", count: max(0, 5 - s.count)) + s
    }

    /// `json.dumps({"metadata": ..., "weight_map": ...}, indent=2, sort_keys=True) + "\n"`.
    static func pythonIndentedJSON(metadata: [(String, STJSON)], weightMap: [(String, String)]) -> String {
        func pythonOrder(_ a: String, _ b: String) -> Bool {
            a.unicodeScalars.lazy.map(\.value).lexicographicallyPrecedes(b.unicodeScalars.lazy.map(\.value))
        }
        var out: [UInt8] = []
        func emit(_ s: String) { out.append(contentsOf: Array(s.utf8)) }
        func emitObject(_ members: [(String, STJSON)]) {
            if members.isEmpty { emit("{}"); return }
            emit("{\n")
            for (i, (k, v)) in members.sorted(by: { pythonOrder($0.0, $1.0) }).enumerated() {
                emit("    ")
                STJSONWriter.appendPythonASCIIString(k, to: &out)
                emit(": ")
                switch v {
                case let .string(s): STJSONWriter.appendPythonASCIIString(s, to: &out)
                default: STJSONWriter.appendCompact(v, to: &out)
                }
                emit(i + 1 < members.count ? ",\n" : "\n")
            }
            emit("  }")
        }
        emit("{\n  \"metadata\": ")
        emitObject(metadata)
        emit(",\n  \"weight_map\": ")
        emitObject(weightMap.map { ($0.0, .string($0.1)) })
        emit("\n}\n")
        return String(decoding: out, as: UTF8.self)
    }
}
