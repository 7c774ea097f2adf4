import Foundation
import Testing
import VTPTensor

/// `mpirun -np 2 vtp train` against `vtp train` in one process with the same global batch: the same per-step
/// losses (every objective on: CLIP over the global batch, DINO + KoLeo + iBOT with Sinkhorn-Knopp,
/// reconstruction) and the same saved model, including runs stopped and resumed with the other number of ranks.
/// Skipped, with a note, where Open MPI's `mpirun` is not installed (scripts/setup.sh installs it).
@Suite(.serialized) struct DataParallelTrainingTests {
    static let mpirun: URL? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { URL(fileURLWithPath: String($0)).appendingPathComponent("mpirun") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }()

    static let config = """
    model:
      preset: tiny
      image_size: 16
      vision_patch_size: 4
      decoder_upscale_factor: 4
      vision_embed_dim: 32
      vision_depth: 2
      vision_num_heads: 2
      vision_feature_bottleneck: 8
      decoder_embed_dim: 32
      decoder_depth: 1
      decoder_num_heads: 2
      text_embed_dim: 32
      text_depth: 1
      text_num_heads: 2
      text_context_length: 16
    data: {kind: scenes, image_size: 16, global_size: 16, local_size: 8, local_crops_number: 2, eval_images: 8, workers: 1}
    objectives:
      clip: {enabled: true}
      dino: {enabled: true, out_dim: 64, hidden_dim: 32, bottleneck_dim: 16, teacher_temp_warmup_steps: 5, koleo_weight: 0.1,
             drop_path: 0.0, ibot: {enabled: true, mask_probability: 0.5}}
      reconstruction: {enabled: true}
    optimizer: {lr: 3.0e-3, min_lr: 1.0e-4, warmup_steps: 1, freeze_last_layer_steps: 0}
    schedule: {steps: 4, batch_size: 8, eval_every: 1000, log_every: 1000}
    precision: fp32
    seed: 3
    checkpoint: {every: 2, keep_last: 3}
    """

    /// One rank per thread, as a user would launch it on a shared machine.
    static let environment = ["VTP_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"]

    /// `vtp train` (`ranks` nil: plain, else under `mpirun -np ranks`); fails the test with the output on error.
    static func train(ranks: Int?, _ args: [String]) throws {
        let r = try launch(ranks: ranks, args)
        #expect(r.status == 0, "vtp train \(args) on \(ranks ?? 1) rank(s): \(r.err)")
    }

    static func launch(ranks: Int?, _ args: [String]) throws -> (status: Int32, out: String, err: String) {
        let vtp = try CommandLineTests.vtpBinary()
        guard let ranks, let mpirun else { return try CommandLineTests.run(executable: vtp, ["train"] + args, environment: environment) }
        return try CommandLineTests.run(executable: mpirun, ["--allow-run-as-root", "--oversubscribe", "-np", "\(ranks)",
                                                             "-x", "VTP_NUM_THREADS", "-x", "OMP_NUM_THREADS", vtp.path, "train"] + args,
                                        environment: environment)
    }

    /// Per-step loss terms of a run folder's metrics.jsonl ("loss", "loss/clip", …).
    static func losses(_ run: URL) throws -> [[String: Double]] {
        let text = try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return o.filter { $0.key == "loss" || $0.key.hasPrefix("loss/") }.compactMap { k, v in (v as? NSNumber).map { (k, $0.doubleValue) } }
                .reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
    }

    static func expectSameLosses(_ run: URL, as reference: URL, _ what: String, minimumTerms: Int = 6) throws {
        let got = try losses(run), want = try losses(reference)
        #expect(got.count == want.count, "\(what): \(got.count) steps logged, reference \(want.count)")
        for (i, (g, w)) in zip(got, want).enumerated() {
            #expect(Set(g.keys) == Set(w.keys) && w.keys.count >= minimumTerms, "\(what) step \(i + 1): terms \(g.keys.sorted()) vs \(w.keys.sorted())")
            for (k, v) in w {
                let x = g[k] ?? .nan
                #expect(abs(x - v) <= 1e-5 * max(abs(v), 1e-3), "\(what) step \(i + 1) \(k): \(x) vs one process \(v)")
            }
        }
    }

    /// The final models agree within 1e-5, except the attention key biases: their gradient is zero in exact
    /// arithmetic (softmax ignores a constant added to every key), so AdamW turns rounding noise, which differs with
    /// any change of summation order (also thread counts in one process), into learning-rate-sized steps; they do
    /// not change what the model computes.
    static func expectSameModel(_ run: URL, as reference: URL, _ what: String) throws {
        let file = "checkpoints/step-00000004/model.safetensors"
        let a = try SafeTensorsFile(url: run.appendingPathComponent(file)), b = try SafeTensorsFile(url: reference.appendingPathComponent(file))
        #expect(a.names.sorted() == b.names.sorted())
        var worst = (name: "", diff: Float(0))
        for name in b.names {
            let x = try a.floats(name), y = try b.floats(name)
            let keyBias = name.hasSuffix("in_proj_bias") || name.hasSuffix("qkv.bias")
            for i in y.indices where !(keyBias && (y.count / 3..<2 * y.count / 3).contains(i)) {
                let d = abs(x[i] - y[i])
                if d > worst.diff { worst = (name, d) }
            }
        }
        #expect(worst.diff <= 1e-5, "\(what): \(worst.name) differs by \(worst.diff) from the one-process model")
    }

    @Test func twoRanksTakeTheStepsOfOneProcess() throws {
        guard Self.mpirun != nil else {
            print("SKIPPED DataParallelTrainingTests: mpirun (Open MPI) is not on PATH; scripts/setup.sh installs openmpi-bin")
            return
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vtp-mpi-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let yaml = dir.appendingPathComponent("tiny.yaml")
        try Data(Self.config.utf8).write(to: yaml)
        func out(_ name: String) -> URL { dir.appendingPathComponent(name) }

        try Self.train(ranks: nil, ["--config", yaml.path, "output_dir=\(out("one").path)"])
        // 2 ranks for steps 1–2, then 1 rank for steps 3–4 from the step-2 checkpoint.
        try Self.train(ranks: 2, ["--config", yaml.path, "output_dir=\(out("two-one").path)", "--stop-after", "2"])
        try Self.train(ranks: nil, ["--resume", out("two-one").path])
        // 1 rank, then 2 ranks (stopped at step 3, between checkpoints: the resume starts from step 3's).
        try Self.train(ranks: nil, ["--config", yaml.path, "output_dir=\(out("one-two").path)", "--stop-after", "3"])
        try Self.train(ranks: 2, ["--resume", out("one-two").path])

        try Self.expectSameLosses(out("two-one"), as: out("one"), "2 ranks then 1")
        try Self.expectSameLosses(out("one-two"), as: out("one"), "1 rank then 2")
        try Self.expectSameModel(out("two-one"), as: out("one"), "2 ranks then 1")
        try Self.expectSameModel(out("one-two"), as: out("one"), "1 rank then 2")

        // SigLIP and EMA centring (the other global statistics) on 4 ranks of 2 samples.
        let other = ["objectives.clip.loss=siglip", "objectives.dino.centering=ema"]
        try Self.train(ranks: nil, ["--config", yaml.path, "output_dir=\(out("siglip-one").path)"] + other)
        try Self.train(ranks: 4, ["--config", yaml.path, "output_dir=\(out("siglip-four").path)"] + other)
        try Self.expectSameLosses(out("siglip-four"), as: out("siglip-one"), "SigLIP + EMA centring, 4 ranks")
        try Self.expectSameModel(out("siglip-four"), as: out("siglip-one"), "SigLIP + EMA centring, 4 ranks")

        // A global batch that does not divide over the ranks is refused by every rank, naming the setting.
        let bad = try Self.launch(ranks: 3, ["--config", yaml.path, "output_dir=\(out("three").path)"])
        #expect(bad.status != 0 && bad.err.contains("schedule.batch_size 8 does not divide over 3 ranks"), "\(bad.err)")
    }

    /// `vtp dit extract` on 2 ranks writes the folder one process writes, byte for byte; `vtp dit train` on those
    /// latents: 2 ranks, stopped and resumed with 1, take the steps of one process.
    @Test func ditTrainingOnTwoRanksTakesTheStepsOfOneProcess() throws {
        guard Self.mpirun != nil, FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist") else {
            print("SKIPPED DataParallelTrainingTests DiT: needs mpirun (openmpi-bin) and dataset-fashion-mnist (scripts/setup.sh)")
            return
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vtp-mpi-dit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func out(_ name: String) -> URL { dir.appendingPathComponent(name) }
        let yaml = out("tiny.yaml")
        try Data(Self.config.utf8).write(to: yaml)
        try Self.train(ranks: nil, ["--config", yaml.path, "output_dir=\(out("tokenizer").path)", "schedule.steps=1"])
        let vtp = try CommandLineTests.vtpBinary().path
        let extract = ["dit", "extract", "--tokenizer", out("tokenizer").path, "--data", "fmnist-test", "--limit", "48", "--shard-size", "16"]
        let one = try CommandLineTests.run(executable: URL(fileURLWithPath: vtp), extract + ["--output", out("latents").path],
                                           environment: Self.environment)
        #expect(one.status == 0, "\(one.err)")
        let two = try CommandLineTests.run(executable: try #require(Self.mpirun),
                                           ["--allow-run-as-root", "--oversubscribe", "-np", "2", "-x", "VTP_NUM_THREADS", "-x", "OMP_NUM_THREADS",
                                            vtp] + extract + ["--output", out("latents-2").path], environment: Self.environment)
        #expect(two.status == 0, "\(two.err)")
        let files = try FileManager.default.contentsOfDirectory(atPath: out("latents").path).sorted()
        let files2 = try FileManager.default.contentsOfDirectory(atPath: out("latents-2").path).sorted()
        #expect(files.count == 5 && files2 == files, "\(files) vs \(files2)")
        for f in files {
            let a = try Data(contentsOf: out("latents").appendingPathComponent(f)), b = try Data(contentsOf: out("latents-2").appendingPathComponent(f))
            #expect(a == b, "dit extract on 2 ranks: \(f) differs from one process's")
        }
        let dit = out("dit.yaml")
        try Data("""
        model: {preset: T/1, hidden_size: 32, depth: 2, num_heads: 2}
        data: {latents: \(out("latents").path)}
        optimizer: {lr: 2.0e-3}
        ema: {decay: 0.9}
        schedule: {steps: 4, batch_size: 8, eval_every: 0, log_every: 1000}
        sample: {per_class: 0}
        checkpoint: {every: 2, keep_last: 3}
        seed: 5
        """.utf8).write(to: dit)
        func ditTrain(ranks: Int?, _ args: [String]) throws {
            let r = ranks == nil
                ? try CommandLineTests.run(executable: URL(fileURLWithPath: vtp), ["dit", "train"] + args, environment: Self.environment)
                : try CommandLineTests.run(executable: try #require(Self.mpirun),
                                           ["--allow-run-as-root", "--oversubscribe", "-np", "\(ranks!)", "-x", "VTP_NUM_THREADS",
                                            "-x", "OMP_NUM_THREADS", vtp, "dit", "train"] + args, environment: Self.environment)
            #expect(r.status == 0, "vtp dit train \(args): \(r.err)")
        }
        try ditTrain(ranks: nil, ["--config", dit.path, "output_dir=\(out("one").path)"])
        try ditTrain(ranks: 2, ["--config", dit.path, "output_dir=\(out("two").path)", "schedule.steps=2"])
        try ditTrain(ranks: nil, ["--resume", out("two").path, "schedule.steps=4"])
        try Self.expectSameLosses(out("two"), as: out("one"), "DiT, 2 ranks then 1", minimumTerms: 3)
        try Self.expectSameModel(out("two"), as: out("one"), "DiT, 2 ranks then 1")
    }
}
