import Foundation
import Testing
import VTPModels
import VTPNN
import VTPTensor
@testable import VTPTraining

/// A very small model (no text tower) so that checkpoints are a few hundred kilobytes.
func infraTinyModel(seed: UInt64 = 1) throws -> VTPModel {
    var c = VTPConfig()
    c.imageSize = 32
    (c.visionEmbedDim, c.visionDepth, c.visionNumHeads, c.visionFeatureBottleneck) = (32, 1, 2, 8)
    (c.decoderEmbedDim, c.decoderDepth, c.decoderNumHeads) = (32, 1, 2)
    c.trainClip = false
    return try VTPModel(config: c, seed: seed)
}

func infraTempDir(_ name: String) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("infra-\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

@Suite struct InfraCheckpointTests {
    func state(step: Int) -> TrainingState {
        var s = TrainingState(step: step)
        s.tensors["teacher.w"] = Tensor([1, 2, 3, Float(step)], shape: [2, 2])
        s.tensors["dino.center"] = Tensor(repeating: 0.5, shape: [4])
        s.tensors["scalar"] = Tensor(scalar: 7)
        s.scalars["data.cursor"] = .int(step * 8)
        s.set("loss.ema", double: 1.25)
        var rng = RNG(seed: 9)
        _ = rng.next()
        s.set("rng.data", rng: rng)
        return s
    }

    func manager(_ dir: URL, keep: Int = 2) -> (CheckpointManager, Box) {
        let m = CheckpointManager(directory: dir, keepLast: keep)
        let box = Box()
        m.warn = { box.warnings.append($0) }
        return (m, box)
    }

    final class Box { var warnings: [String] = [] }

    @Test func savesTheLayoutAndReadsItBack() throws {
        let dir = try infraTempDir("ckpt")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (m, box) = manager(dir)
        let model = try infraTinyModel()
        var config = TrainConfig()
        config.schedule.steps = 4321
        let url = try m.save(step: 100, model: model, state: state(step: 100), configYAML: config.resolvedYAML())
        #expect(url.lastPathComponent == "step-00000100")
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: url.path))
        #expect(files == ["config.json", "model.safetensors", "training_state.safetensors", "training_state.json", "train_config.yaml", "manifest.json"])
        #expect(try String(contentsOf: dir.appendingPathComponent("checkpoints/latest"), encoding: .utf8) == "step-00000100\n")

        let loaded = try #require(try m.loadLatest())
        #expect(loaded.step == 100 && loaded.warnings.isEmpty && box.warnings.isEmpty)
        #expect(try TrainConfig.parse(yaml: loaded.configYAML, validate: false) == config)
        #expect(try loaded.state.tensor("teacher.w").scalars == [1, 2, 3, 100] && loaded.state.tensors["teacher.w"]?.shape == [2, 2])
        #expect(loaded.state.tensors["scalar"]?.shape == [] && loaded.state.tensors["scalar"]?.item == 7)
        #expect(try loaded.state.int("data.cursor") == 800 && loaded.state.double("loss.ema") == 1.25)
        var expected = RNG(seed: 9)
        _ = expected.next()
        #expect(try loaded.state.rng("rng.data") == expected)
        #expect(throws: CheckpointError.self) { try loaded.state.int("missing") }
        // The model is in the official format.
        let back = try loaded.loadModel()
        #expect(back.config == model.config)
        #expect(back.namedParameters().map { $0.1.value.scalars } == model.namedParameters().map { $0.1.value.scalars })
    }

    @Test func keepsTheLastK() throws {
        let dir = try infraTempDir("keep")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (m, _) = manager(dir, keep: 2)
        for step in [10, 20, 30, 40] {
            try m.save(step: step, state: state(step: step), configYAML: TrainConfig().resolvedYAML()) { try Data("model \(step)".utf8).write(to: $0.appendingPathComponent("model.safetensors")) }
        }
        #expect(m.steps() == [30, 40])
        #expect(try m.loadLatest()?.step == 40)
        #expect(try m.load(step: 30).state.int("data.cursor") == 240)
        #expect(throws: CheckpointError.notFound(step: 10, available: [30, 40])) { try m.load(step: 10) }
        // Re-saving an existing step replaces it.
        try m.save(step: 40, state: state(step: 40), configYAML: TrainConfig().resolvedYAML()) { _ in }
        #expect(m.steps() == [30, 40] && !FileManager.default.fileExists(atPath: m.url(step: 40).appendingPathComponent("model.safetensors").path))
    }

    @Test func interruptedSaveIsIgnored() throws {
        let dir = try infraTempDir("partial")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (m, box) = manager(dir)
        try m.save(step: 100, state: state(step: 100), configYAML: TrainConfig().resolvedYAML()) { _ in }
        // A save killed midway: a temporary directory with some files.
        let tmp = m.checkpointsURL.appendingPathComponent(".tmp-step-00000200-abc")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        try Data("partial".utf8).write(to: tmp.appendingPathComponent("model.safetensors"))
        // And a step directory without its manifest (e.g. copied by hand and interrupted).
        let half = m.url(step: 300)
        try FileManager.default.createDirectory(at: half, withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: half.appendingPathComponent("config.json"))
        #expect(m.steps() == [100, 300])
        let loaded = try #require(try m.loadLatest())
        #expect(loaded.step == 100)
        #expect(box.warnings.contains { $0.contains("skipping checkpoint step 300") && $0.contains("incomplete") && $0.contains("model.safetensors") })
        if case .incomplete(_, let missing) = try #require(throwing(try m.load(step: 300))) {
            #expect(missing.contains("manifest.json") && !missing.contains("config.json"))
        } else { Issue.record("expected incomplete") }
        // The next save cleans the leftovers up.
        try m.save(step: 400, state: state(step: 400), configYAML: TrainConfig().resolvedYAML()) { _ in }
        #expect(!FileManager.default.fileExists(atPath: tmp.path))
    }

    @Test func corruptCheckpointsFallBack() throws {
        let dir = try infraTempDir("corrupt")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (m, box) = manager(dir, keep: 3)
        let model = try infraTinyModel()
        for step in [100, 200, 300] { try m.save(step: step, model: model, state: state(step: step), configYAML: TrainConfig().resolvedYAML()) }
        // Flip one byte in the newest model file: same size, different content.
        let f = m.url(step: 300).appendingPathComponent("model.safetensors")
        var bytes = try Data(contentsOf: f)
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: f)
        let loaded = try #require(try m.loadLatest())
        #expect(loaded.step == 200)
        #expect(loaded.warnings.contains { $0.contains("model.safetensors does not match its recorded hash") })
        #expect(loaded.warnings.contains { $0.contains("'latest' names step 300") })
        #expect(throws: CheckpointError.self) { try m.load(step: 300) }
        // A truncated state file is caught by its size.
        let g = m.url(step: 200).appendingPathComponent("training_state.safetensors")
        try Data(try Data(contentsOf: g).prefix(10)).write(to: g)
        #expect(try m.loadLatest()?.step == 100)
        // A garbled `latest` file only costs a warning.
        try Data("garbage".utf8).write(to: m.checkpointsURL.appendingPathComponent("latest"))
        box.warnings = []
        #expect(try m.loadLatest()?.step == 100)
        #expect(box.warnings.contains { $0.contains("unreadable") })
        // When nothing is usable the error lists every problem.
        try FileManager.default.removeItem(at: m.url(step: 100).appendingPathComponent("training_state.json"))
        #expect(throws: CheckpointError.self) { try m.loadLatest() }
        #expect(try CheckpointManager(directory: dir.appendingPathComponent("none"), keepLast: 1).loadLatest() == nil)
    }

    @Test func newerCompleteCheckpointThanLatestIsUsed() throws {
        let dir = try infraTempDir("newer")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (m, box) = manager(dir, keep: 3)
        try m.save(step: 1, state: state(step: 1), configYAML: TrainConfig().resolvedYAML()) { _ in }
        try m.save(step: 2, state: state(step: 2), configYAML: TrainConfig().resolvedYAML()) { _ in }
        // A crash between the rename and the update of `latest`.
        try Data("step-00000001\n".utf8).write(to: m.checkpointsURL.appendingPathComponent("latest"))
        #expect(try m.loadLatest()?.step == 2)
        #expect(box.warnings.contains { $0.contains("newer than 'latest'") })
    }

    @Test func refusesNonFiniteState() throws {
        let dir = try infraTempDir("nan")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (m, _) = manager(dir)
        try m.save(step: 5, state: state(step: 5), configYAML: TrainConfig().resolvedYAML()) { _ in }
        var bad = state(step: 6)
        bad.tensors["teacher.w"] = Tensor([1, .nan, 3, 4], shape: [2, 2])
        #expect(throws: CheckpointError.nonFinite(step: 6, names: ["teacher.w"])) {
            try m.save(step: 6, state: bad, configYAML: TrainConfig().resolvedYAML()) { _ in }
        }
        let model = try infraTinyModel()
        model.namedParameters()[0].1.value.data[0] = .infinity
        #expect(throws: CheckpointError.self) { try m.save(step: 6, model: model, state: state(step: 6), configYAML: TrainConfig().resolvedYAML()) }
        let latest = try m.loadLatest()?.step
        #expect(m.steps() == [5] && latest == 5)
    }

    @Test func optimizerAndModuleRoundTrip() throws {
        let model = try infraTinyModel(seed: 4)
        let params = model.trunk.namedParameters()
        let opt = AdamW(params.map(\.1), lr: 1e-3, weightDecay: 0.05)
        for p in params.map(\.1) { p.grad = Tensor(repeating: 0.1, shape: p.shape) }
        opt.update(); opt.update()
        var s = TrainingState(step: 2)
        s.add(module: model.trunk, prefix: "teacher")
        s.add(optimizer: opt, prefix: "opt", names: params.map(\.0))
        let other = try infraTinyModel(seed: 5)
        try s.restore(module: other.trunk, prefix: "teacher")
        #expect(other.trunk.namedParameters().map { $0.1.value.scalars } == params.map { $0.1.value.scalars })
        let opt2 = AdamW(other.trunk.namedParameters().map(\.1), lr: 1e-3, weightDecay: 0.05)
        try s.restore(optimizer: opt2, prefix: "opt", names: params.map(\.0))
        #expect(opt2.step == 2 && opt2.m.map(\.scalars) == opt.m.map(\.scalars) && opt2.v.map(\.scalars) == opt.v.map(\.scalars))
        #expect(throws: CheckpointError.self) { try s.restore(optimizer: opt2, prefix: "nope", names: params.map(\.0)) }
    }
}

func throwing<T>(_ body: @autoclosure () throws -> T) -> CheckpointError? {
    do { _ = try body(); return nil } catch { return error as? CheckpointError }
}
