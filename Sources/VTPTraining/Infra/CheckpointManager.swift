import Foundation
import VTPModels
import VTPNN
import VTPTensor

/// Problems writing or reading checkpoints.
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    case notFound(step: Int, available: [Int])
    case incomplete(directory: String, missing: [String])
    case corrupt(directory: String, file: String, reason: String)
    case noValidCheckpoint(directory: String, problems: [String])
    case nonFinite(step: Int, names: [String])
    case writeFailed(String)
    case stateMismatch(String)

    public var description: String {
        switch self {
        case .notFound(let step, let available):
            return "no checkpoint for step \(step)" + (available.isEmpty ? " (there are none)" : " (available steps: \(available.map(String.init).joined(separator: ", ")))")
        case .incomplete(let dir, let missing):
            return "checkpoint \(dir) is incomplete (missing \(missing.joined(separator: ", "))); it was probably interrupted while being written"
        case .corrupt(let dir, let file, let reason): return "checkpoint \(dir) is damaged: \(file) \(reason)"
        case .noValidCheckpoint(let dir, let problems):
            return "no usable checkpoint in \(dir):\n  " + problems.joined(separator: "\n  ")
        case .nonFinite(let step, let names):
            return "refusing to save the checkpoint of step \(step): non-finite values in \(names.prefix(10).joined(separator: ", "))"
                + (names.count > 10 ? " and \(names.count - 10) more" : "") + " (the previous checkpoints are kept)"
        case .writeFailed(let m): return "cannot write the checkpoint: \(m)"
        case .stateMismatch(let m): return m
        }
    }
}

/// A model a checkpoint holds: its parameters (checked for NaN/Inf before anything is written) and its files.
public protocol CheckpointModel: Module {
    /// Writes the model's files (e.g. `config.json` + `model.safetensors`) into `directory`.
    func save(directory: URL) throws
}

extension VTPModel: CheckpointModel {}

/// A checkpoint read back by `CheckpointManager`.
public struct LoadedCheckpoint: @unchecked Sendable {
    public let step: Int
    public let directory: URL
    public let state: TrainingState
    /// The run's resolved configuration (`train_config.yaml`) as written.
    public let configYAML: String
    /// What was skipped on the way (incomplete or damaged newer checkpoints, a stale `latest`).
    public let warnings: [String]

    /// The model in the official format (`config.json` + `model.safetensors`).
    public func loadModel() throws -> VTPModel { try VTPModel.load(directory: directory) }
}

/// Saves and finds checkpoints of a run:
///
/// ```
/// <output>/checkpoints/step-00000100/   config.json, model.safetensors      (official format, VTPModel.save)
///                                      training_state.safetensors + .json  (TrainingState)
///                                      train_config.yaml                   (TrainConfig.resolvedYAML)
///                                      manifest.json                       (size + hash of every file)
/// <output>/checkpoints/latest           "step-00000100"
/// ```
///
/// A checkpoint is written into a temporary sibling directory, every file and the directory are fsynced,
/// and the directory is renamed into place; `latest` is replaced atomically after that, and only then are
/// checkpoints beyond the newest `keepLast` deleted. A crash at any point leaves the previous checkpoints
/// intact; temporary directories are ignored by the readers and removed by the next save.
public final class CheckpointManager {
    /// The run directory (`output_dir`).
    public let directory: URL
    /// `directory/checkpoints`.
    public let checkpointsURL: URL
    public let keepLast: Int
    /// Whether loading re-hashes every file (reads it once) rather than only checking sizes.
    public var verifyHashes = true
    /// Receives warnings (default: standard error).
    public var warn: (String) -> Void = { FileHandle.standardError.write(Data(("warning: " + $0 + "\n").utf8)) }

    public static let stateTensorsFile = "training_state.safetensors"
    public static let stateJSONFile = "training_state.json"
    public static let configFile = "train_config.yaml"
    public static let manifestFile = "manifest.json"

    public init(directory: URL, keepLast: Int) {
        precondition(keepLast >= 1, "CheckpointManager: keepLast must be at least 1")
        self.directory = directory
        self.checkpointsURL = directory.appendingPathComponent("checkpoints")
        self.keepLast = keepLast
    }

    /// `step-00000100`.
    public static func name(step: Int) -> String { "step-" + String(format: "%08d", step) }

    static func step(ofName name: String) -> Int? {
        guard name.hasPrefix("step-") else { return nil }
        let digits = name.dropFirst(5)
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return nil }
        return Int(digits)
    }

    /// The directory of the checkpoint of `step`.
    public func url(step: Int) -> URL { checkpointsURL.appendingPathComponent(Self.name(step: step)) }

    /// Steps of every checkpoint directory (complete or not), ascending. Temporary directories are not listed.
    public func steps() -> [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: checkpointsURL.path)) ?? []
        return names.compactMap(Self.step(ofName:)).sorted()
    }

    // MARK: Saving

    /// Saves `model` (its own files, e.g. the official format), `state` and the resolved configuration as the
    /// checkpoint of `step`. Refuses (throws `nonFinite`, writing nothing) when a model parameter or state
    /// tensor holds NaN or ±Inf.
    @discardableResult
    public func save(step: Int, model: any CheckpointModel, state: TrainingState, configYAML: String) throws -> URL {
        let bad = model.namedParameters().filter { !allFinite($0.1.value) }.map { "model.\($0.0)" }
        if !bad.isEmpty { throw CheckpointError.nonFinite(step: step, names: bad + nonFiniteTensors(state)) }
        return try save(step: step, state: state, configYAML: configYAML) { try model.save(directory: $0) }
    }

    /// Saves a checkpoint of `step`: the model files written by `writeModel(directory)`, `state`, and the run's
    /// resolved configuration `configYAML`. Refuses (throws `nonFinite`, writing nothing) when a state tensor
    /// holds NaN or ±Inf.
    @discardableResult
    public func save(step: Int, state: TrainingState, configYAML: String, writeModel: (URL) throws -> Void) throws -> URL {
        let bad = nonFiniteTensors(state)
        if !bad.isEmpty { throw CheckpointError.nonFinite(step: step, names: bad) }
        let fm = FileManager.default
        try fm.createDirectory(at: checkpointsURL, withIntermediateDirectories: true)
        let final = url(step: step)
        let tmp = checkpointsURL.appendingPathComponent(".tmp-\(Self.name(step: step))-\(randomTag())")
        try fm.createDirectory(at: tmp, withIntermediateDirectories: false)
        var renamed = false
        defer { if !renamed { try? fm.removeItem(at: tmp) } }

        try writeModel(tmp)
        try writeState(state, step: step, into: tmp)
        try Data(configYAML.utf8).write(to: tmp.appendingPathComponent(Self.configFile))
        var files: [String: JSONValue] = [:]
        for rel in DurableFiles.files(under: tmp) {
            let (size, hash) = try DurableFiles.hash(tmp.appendingPathComponent(rel))
            files[rel] = .object(["bytes": .int(size), "hash": .string(hash)])
        }
        let manifest: JSONValue = .object(["format": .string("swiftvtp-checkpoint"), "version": .int(1), "step": .int(step), "files": .object(files)])
        try jsonData(manifest).write(to: tmp.appendingPathComponent(Self.manifestFile))
        for rel in DurableFiles.files(under: tmp) { try DurableFiles.sync(tmp.appendingPathComponent(rel).path) }
        try DurableFiles.sync(tmp.path)

        // An older checkpoint of the same step (a re-run) is moved aside first: rename cannot replace a directory.
        var trash: URL? = nil
        if fm.fileExists(atPath: final.path) {
            trash = checkpointsURL.appendingPathComponent(".trash-\(Self.name(step: step))-\(randomTag())")
            try fm.moveItem(at: final, to: trash!)
        }
        guard rename(tmp.path, final.path) == 0 else {
            throw CheckpointError.writeFailed("rename \(tmp.path) -> \(final.path): \(String(cString: strerror(errno)))")
        }
        renamed = true
        try DurableFiles.sync(checkpointsURL.path)
        try DurableFiles.writeAtomically(Data((Self.name(step: step) + "\n").utf8), to: checkpointsURL.appendingPathComponent("latest"))
        if let trash { try? fm.removeItem(at: trash) }
        prune(keeping: step)
        return final
    }

    private func writeState(_ state: TrainingState, step: Int, into dir: URL) throws {
        var w = SafeTensorsWriter(metadata: ["format": "swiftvtp-training-state", "step": "\(step)"])
        let names = state.tensors.keys.sorted()
        for n in names {
            let t = state.tensors[n]!
            try w.add(name: n, tensor: t)  // streamed into the file, not copied
        }
        try w.write(to: dir.appendingPathComponent(Self.stateTensorsFile))
        let json: JSONValue = .object([
            "format": .string("swiftvtp-training-state"), "version": .int(1), "step": .int(step),
            "scalars": .object(state.scalars), "tensors": .array(names.map { .string($0) }),
        ])
        try jsonData(json).write(to: dir.appendingPathComponent(Self.stateJSONFile))
    }

    /// Deletes complete checkpoints beyond the newest `keepLast` (never `keeping`), and leftovers of
    /// interrupted saves.
    private func prune(keeping: Int) {
        let fm = FileManager.default
        let complete = steps().filter { fm.fileExists(atPath: url(step: $0).appendingPathComponent(Self.manifestFile).path) }
        for s in complete.dropLast(keepLast) where s != keeping {
            do { try fm.removeItem(at: url(step: s)) } catch { warn("could not delete old checkpoint \(url(step: s).path): \(error)") }
        }
        for name in (try? fm.contentsOfDirectory(atPath: checkpointsURL.path)) ?? []
        where name.hasPrefix(".tmp-step-") || name.hasPrefix(".trash-step-") {
            try? fm.removeItem(at: checkpointsURL.appendingPathComponent(name))
        }
    }

    // MARK: Loading

    /// The newest checkpoint that is complete and undamaged, or nil when the run has none. Newer incomplete
    /// or damaged ones, and a missing or stale `latest`, are skipped with a warning. Throws when checkpoints
    /// exist but none is usable.
    public func loadLatest() throws -> LoadedCheckpoint? {
        let all = steps()
        if all.isEmpty { return nil }
        var warnings: [String] = []
        let latestURL = checkpointsURL.appendingPathComponent("latest")
        let latestText = (try? String(contentsOf: latestURL, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        let latestStep = latestText.flatMap(Self.step(ofName:))
        if latestText == nil {
            warnings.append("\(latestURL.path) is missing; using the newest complete checkpoint")
        } else if latestStep == nil {
            warnings.append("\(latestURL.path) is unreadable ('\(latestText!.prefix(40))'); using the newest complete checkpoint")
        }
        var problems: [String] = []
        for s in all.reversed() {
            let loaded: LoadedCheckpoint
            do {
                loaded = try load(step: s)
            } catch {
                problems.append("step \(s): \(error)")
                warnings.append("skipping checkpoint step \(s): \(error)")
                continue
            }
            if let l = latestStep, l != s {
                warnings.append(l > s ? "'latest' names step \(l), which is not usable; resuming from step \(s)"
                                      : "checkpoint step \(s) is newer than 'latest' (step \(l)) and complete; resuming from it")
            }
            warnings.forEach(warn)
            return LoadedCheckpoint(step: s, directory: loaded.directory, state: loaded.state, configYAML: loaded.configYAML, warnings: warnings)
        }
        throw CheckpointError.noValidCheckpoint(directory: checkpointsURL.path, problems: problems)
    }

    /// The checkpoint of `step`, verified (every file present with its recorded size and hash).
    public func load(step: Int) throws -> LoadedCheckpoint {
        let dir = url(step: step)
        guard FileManager.default.fileExists(atPath: dir.path) else { throw CheckpointError.notFound(step: step, available: steps()) }
        try verify(dir)
        let state = try readState(dir, step: step)
        guard let text = FileManager.default.contents(atPath: dir.appendingPathComponent(Self.configFile).path),
              let yaml = String(data: text, encoding: .utf8) else {
            throw CheckpointError.corrupt(directory: dir.path, file: Self.configFile, reason: "cannot be read as UTF-8 text")
        }
        return LoadedCheckpoint(step: step, directory: dir, state: state, configYAML: yaml, warnings: [])
    }

    /// Checks that every file of the manifest is there with its size (and hash when `verifyHashes`).
    public func verify(_ dir: URL) throws {
        let manifestURL = dir.appendingPathComponent(Self.manifestFile)
        guard let data = FileManager.default.contents(atPath: manifestURL.path) else {
            let required = ["config.json", "model.safetensors", Self.stateTensorsFile, Self.stateJSONFile, Self.configFile, Self.manifestFile]
            let missing = required.filter { !FileManager.default.fileExists(atPath: dir.appendingPathComponent($0).path) }
            throw CheckpointError.incomplete(directory: dir.path, missing: missing)
        }
        guard case .object(let m)? = try? JSONDecoder().decode(JSONValue.self, from: data), case .object(let files)? = m["files"] else {
            throw CheckpointError.corrupt(directory: dir.path, file: Self.manifestFile, reason: "is not a valid manifest")
        }
        let missing = files.keys.sorted().filter { !FileManager.default.fileExists(atPath: dir.appendingPathComponent($0).path) }
        if !missing.isEmpty { throw CheckpointError.incomplete(directory: dir.path, missing: missing) }
        for (rel, info) in files.sorted(by: { $0.key < $1.key }) {
            guard case .object(let o) = info, case .int(let size)? = o["bytes"], case .string(let hash)? = o["hash"] else {
                throw CheckpointError.corrupt(directory: dir.path, file: Self.manifestFile, reason: "has a bad entry for \(rel)")
            }
            let url = dir.appendingPathComponent(rel)
            let actual = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? -1
            if actual != size { throw CheckpointError.corrupt(directory: dir.path, file: rel, reason: "has \(actual) bytes, \(size) were written") }
            if verifyHashes, try DurableFiles.hash(url).hash != hash {
                throw CheckpointError.corrupt(directory: dir.path, file: rel, reason: "does not match its recorded hash")
            }
        }
    }

    private func readState(_ dir: URL, step: Int) throws -> TrainingState {
        let jsonURL = dir.appendingPathComponent(Self.stateJSONFile)
        guard let data = FileManager.default.contents(atPath: jsonURL.path),
              case .object(let o)? = try? JSONDecoder().decode(JSONValue.self, from: data),
              case .int(let savedStep)? = o["step"], case .object(let scalars)? = o["scalars"], case .array(let names)? = o["tensors"]
        else { throw CheckpointError.corrupt(directory: dir.path, file: Self.stateJSONFile, reason: "is not a valid training state") }
        guard savedStep == step else {
            throw CheckpointError.corrupt(directory: dir.path, file: Self.stateJSONFile, reason: "records step \(savedStep)")
        }
        var tensors: [String: Tensor] = [:]
        do {
            let file = try SafeTensorsFile(url: dir.appendingPathComponent(Self.stateTensorsFile))
            for case .string(let n) in names {
                let info = try file.info(n)
                tensors[n] = Tensor(try file.floats(n), shape: info.shape)
            }
            if file.names.count != names.count {
                throw CheckpointError.corrupt(directory: dir.path, file: Self.stateTensorsFile,
                                              reason: "holds \(file.names.count) tensors, \(Self.stateJSONFile) lists \(names.count)")
            }
        } catch let e as CheckpointError { throw e } catch {
            throw CheckpointError.corrupt(directory: dir.path, file: Self.stateTensorsFile, reason: "cannot be read: \(error)")
        }
        return TrainingState(step: step, tensors: tensors, scalars: scalars)
    }

    // MARK: Helpers

    private func nonFiniteTensors(_ state: TrainingState) -> [String] {
        state.tensors.filter { !allFinite($0.value) }.map(\.key).sorted()
    }

    private func randomTag() -> String { String(UInt64.random(in: 0...UInt64.max), radix: 36) }
}

func allFinite(_ t: Tensor) -> Bool {
    let p = t.data
    for i in 0..<t.count where !p[i].isFinite { return false }
    return true
}

func jsonData(_ v: JSONValue) throws -> Data {
    let e = JSONEncoder()
    e.outputFormatting = [.prettyPrinted, .sortedKeys]
    return try e.encode(v)
}
