import ArgumentParser
import Foundation
import Testing
import VTPTensor
@testable import vtp

/// The `vtp` command line: argument parsing and validation in process, and whole commands run as a user runs
/// them (the built binary, its exit code, standard output and error) on the bundled official-code fixture.
@Suite struct CommandLineTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixture = root.appendingPathComponent("Tests/VTPModelsTests/Fixtures/vtp-tiny")

    /// The error message ArgumentParser prints for `args`, or nil when they parse and validate.
    static func parseError(_ args: [String]) -> String? {
        do { _ = try VTP.parseAsRoot(args); return nil } catch { return VTP.message(for: error) }
    }

    @Test func parsesSharedOptionGroups() throws {
        let cmd = try #require(try VTP.parseAsRoot(["reconstruct", "--model", "m", "--size", "32", "--preprocess", "squash",
                                                    "--batch", "3", "--output", "o", "--side-by-side", "a.png", "b.jpg"]) as? Reconstruct)
        #expect(cmd.options.model == "m" && cmd.options.ropePrecision == "bf16" && cmd.sideBySide && cmd.images == ["a.png", "b.jpg"])
        let inputs = cmd.imageOptions.inputs(cmd.images)
        #expect(inputs.size == 32 && inputs.preprocessing == .squash && inputs.batch == 3 && inputs.paths == ["a.png", "b.jpg"])
    }

    @Test func invalidArgumentsAreExplained() {
        let cases: [([String], String)] = [
            (["reconstruct", "--model", "m", "a.png"], "--output"),
            (["reconstruct", "--model", "m", "--output", "o", "--preprocess", "crop", "a.png"], "--preprocess must be adm or squash"),
            (["encode", "--model", "m", "--output", "o", "--batch", "0", "a.png"], "--batch must be at least 1"),
            (["zero-shot", "--model", "m", "--classes", "a", "--classes-file", "f", "x.png"], "exactly one of --classes or --classes-file"),
            (["zero-shot", "--model", "m", "--classes", "a", "--templates", "no placeholder", "x.png"], "--templates"),
            (["embed", "--model", "m"], "at least one --image or --text"),
            (["forward", "--model", "m", "--rope-precision", "fp16", "--input", "i", "--output", "o"], "--rope-precision must be bf16 or fp32"),
            (["reconstruct", "--model", "m", "--precision", "f16", "--output", "o", "a.png"], "--precision must be fp32 or bf16"),
            (["dit", "sample", "--model", "m", "--output", "o", "--precision", "int8"], "--precision must be fp32 or bf16"),
            (["tokenize", "--context-length", "1", "x"], "--context-length must be at least 2"),
            (["tokenize", "--context-length", "-1", "x"], "--context-length must be at least 2"),
            (["tokenize", "--context-length", "9223372036854775807", "x"], "--context-length must be at most 65536"),
            (["train"], "exactly one of --config or --resume"),
        ]
        for (args, expected) in cases {
            let message = Self.parseError(args)
            #expect(message?.contains(expected) == true, "\(args): \(message ?? "parsed")")
        }
    }

    /// The built `vtp` binary (next to the test bundle's runner).
    static func vtpBinary() throws -> URL {
        let bin = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [bin, bin.deletingLastPathComponent()].map { $0.appendingPathComponent("vtp") }
        return try #require(candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }, "no vtp binary near \(bin.path)")
    }

    /// Runs the built `vtp` binary.
    static func run(_ args: [String]) throws -> (status: Int32, out: String, err: String) {
        try run(executable: try vtpBinary(), args)
    }

    /// Runs `executable` with `args` (and `environment` added to this process's), collecting its exit status and output.
    static func run(executable exe: URL, _ args: [String], environment: [String: String] = [:]) throws -> (status: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = exe
        p.arguments = args
        if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    static func tempDir() throws -> URL {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("vtp-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }

    /// The official CLIP ids of "a photo of a cat" (start 49406, a 320, photo 1125, of 539, a 320, cat 2368,
    /// end 49407, zero padding).
    @Test func tokenizePrintsTheOfficialIds() throws {
        let r = try Self.run(["tokenize", "--context-length", "10", "a photo of a cat"])
        #expect(r.status == 0)
        #expect(r.out == "[[49406,320,1125,539,320,2368,49407,0,0,0]]\n")
    }

    /// `vtp forward` reproduces the official fixture and `vtp compare` passes it (exit 0) and fails a tolerance it
    /// does not meet (exit 1).
    @Test func forwardAndCompareOnTheOfficialFixture() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out.safetensors").path
        let f = Self.fixture.path
        let r = try Self.run(["forward", "--model", f + "/model", "--rope-precision", "fp32", "--input", f + "/inputs.safetensors",
                              "--output", out, "--intermediate", "2"])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.contains("clip_logits") && r.out.contains("intermediate_cls_1"))
        let ok = try Self.run(["compare", out, f + "/expected_rope_fp32.safetensors", "--tolerance", "1e-4"])
        #expect(ok.status == 0 && ok.out.contains("all ") && ok.out.contains("keys within 0.0001"), "\(ok.out)")
        let tight = try Self.run(["compare", out, f + "/expected_rope_fp32.safetensors", "--tolerance", "0"])
        #expect(tight.status == 1 && tight.out.contains("FAIL"))
    }

    /// Bad input files end with a clear message naming what is wrong and exit code 1, never a crash.
    @Test func badInputsGiveClearErrors() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = Self.fixture.appendingPathComponent("model").path
        let noLatents = try Self.run(["decode", "--model", model, "--input", Self.fixture.appendingPathComponent("inputs.safetensors").path,
                                      "--output", dir.path])
        #expect(noLatents.status == 1 && noLatents.err.contains("no tensor named 'latents'") && noLatents.err.contains("it has: "),
                "\(noLatents.err)")
        let missing = try Self.run(["info", "--model", dir.appendingPathComponent("nothing").path])
        #expect(missing.status == 1 && missing.err.contains("nothing"), "\(missing.err)")
        // Regression (baseline fuzzing campaign): a zero-size batch trapped in Tensor.reshaped.
        let empty = dir.appendingPathComponent("empty.safetensors")
        var w = SafeTensorsWriter(metadata: [:])
        try w.add(name: "images", shape: [0, 3, 32, 32], floats: [])
        try w.write(to: empty)
        let zero = try Self.run(["forward", "--model", model, "--input", empty.path, "--output", dir.appendingPathComponent("o.safetensors").path])
        #expect(zero.status == 1 && zero.err.contains("B ≥ 1"), "\(zero.err)")
        let notImage = dir.appendingPathComponent("x.png")
        try Data("not a png".utf8).write(to: notImage)
        let bad = try Self.run(["reconstruct", "--model", model, "--size", "32", "--output", dir.path, notImage.path])
        #expect(bad.status == 1 && bad.err.contains("x.png"), "\(bad.err)")
    }

    /// encode → decode keeps the images' names; reconstruct writes one PNG per input and prints its PSNR.
    @Test func encodeDecodeAndReconstructFiles() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = Self.fixture.appendingPathComponent("model").path
        let images = ["chelsea.jpg", "coffee.jpg"].map { Self.root.appendingPathComponent("examples/" + $0).path }
        let latents = dir.appendingPathComponent("z.safetensors").path
        let e = try Self.run(["encode", "--model", model, "--size", "32", "--output", latents] + images)
        #expect(e.status == 0 && e.out.contains("latents [2, "), "\(e.err)")
        let d = try Self.run(["decode", "--model", model, "--input", latents, "--output", dir.appendingPathComponent("dec").path])
        #expect(d.status == 0 && d.out.contains("dec/chelsea.png") && d.out.contains("dec/coffee.png"), "\(d.err)")
        let r = try Self.run(["reconstruct", "--model", model, "--size", "32", "--output", dir.appendingPathComponent("rec").path] + images)
        #expect(r.status == 0 && r.out.contains("PSNR") && r.out.contains("mean PSNR"), "\(r.err)")
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("rec/coffee.png").path))
        // The bf16 mode: the same reconstructions within BF16 error (mean PSNR within 1 dB of fp32's).
        let b = try Self.run(["reconstruct", "--model", model, "--size", "32", "--precision", "bf16",
                              "--output", dir.appendingPathComponent("rec16").path] + images)
        #expect(b.status == 0, "\(b.err)")
        func meanPSNR(_ out: String) -> Double? {
            out.split(separator: "\n").first { $0.hasPrefix("mean PSNR") }.flatMap { Double($0.split(separator: " ")[2]) }
        }
        let (p32, p16) = (try #require(meanPSNR(r.out)), try #require(meanPSNR(b.out)))
        #expect(abs(p32 - p16) < 1, "mean PSNR fp32 \(p32) dB, bf16 \(p16) dB")
    }
}

/// `vtp eval` on a small class folder with the official-code fixture model.
@Suite struct EvalCommandTests {
    /// Two classes: "clothes" (three Fashion-MNIST examples) and "photo" (two photographs).
    static func classFolder(_ dir: URL) throws -> URL {
        let root = dir.appendingPathComponent("data")
        let ex = CommandLineTests.root.appendingPathComponent("examples")
        let files = [("clothes", "fashion-mnist/00000-ankle-boot.png"), ("clothes", "fashion-mnist/00001-pullover.png"),
                     ("clothes", "fashion-mnist/00002-trouser.png"), ("photo", "chelsea.jpg"), ("photo", "coffee.jpg")]
        for (k, (cls, file)) in files.enumerated() {
            try FileManager.default.createDirectory(at: root.appendingPathComponent(cls), withIntermediateDirectories: true)
            let name = "\(k)." + (file as NSString).pathExtension
            try FileManager.default.copyItem(at: ex.appendingPathComponent(file), to: root.appendingPathComponent("\(cls)/\(name)"))
        }
        return root
    }

    static func json(_ url: URL) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    @Test func zeroShotKNNLinearProbeAndReconstruction() throws {
        let dir = try CommandLineTests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = try Self.classFolder(dir).path, model = CommandLineTests.fixture.appendingPathComponent("model").path
        let out = dir.appendingPathComponent("eval")

        // Zero-shot over the dataset agrees with `vtp zero-shot` on the same files (another forward path: the
        // CLIP embedding from the trunk's last layer instead of the cached intermediate layers).
        let z = try CommandLineTests.run(["eval", "zero-shot", "--model", model, "--data", data, "--templates", "a photo of a {}.",
                                          "--output", out.path])
        #expect(z.status == 0, "\(z.err)")
        let report = try Self.json(out.appendingPathComponent("zero-shot.json"))
        let top1 = try #require(report["top1"] as? Double), top5 = try #require(report["top5"] as? Double)
        #expect(top5 == 1 && report["images"] as? Int == 5 && report["classNames"] as? [String] == ["clothes", "photo"])
        var correct = 0
        for cls in ["clothes", "photo"] {
            let files = try FileManager.default.contentsOfDirectory(atPath: data + "/" + cls).map { data + "/" + cls + "/" + $0 }
            let r = try CommandLineTests.run(["zero-shot", "--model", model, "--classes", "clothes,photo", "--templates", "a photo of a {}.",
                                              "--top-k", "1"] + files)
            #expect(r.status == 0, "\(r.err)")
            correct += r.out.split(separator: "\n").filter { $0.hasPrefix("  ") && $0.hasSuffix(" " + cls) }.count
        }
        #expect(abs(top1 - Double(correct) / 5) < 1e-9, "eval zero-shot \(top1), vtp zero-shot \(correct)/5")
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("zero-shot.md").path))

        let k = try CommandLineTests.run(["eval", "knn", "--model", model, "--train", data, "--val", data, "--k", "1", "--output", out.path])
        // Queries are their own references here: 1-NN finds each image itself.
        #expect(k.status == 0 && k.out.contains("k-NN top-1 100.00%"), "\(k.out) \(k.err)")
        let l = try CommandLineTests.run(["eval", "linear-probe", "--model", model, "--train", data, "--val", data, "--epochs", "2",
                                          "--lrs", "0.1", "1", "--output", out.path])
        #expect(l.status == 0 && l.out.contains("linear probe top-1"), "\(l.err)")
        let probe = try Self.json(out.appendingPathComponent("linear-probe.json"))
        // The fixture trunk has 2 blocks: last4 becomes last2, so 4 feature sets × 2 learning rates.
        #expect(((probe["result"] as? [String: Any])?["entries"] as? [Any])?.count == 8)

        let r = try CommandLineTests.run(["eval", "reconstruction", "--model", model, "--data", data, "--output", out.path])
        #expect(r.status == 0, "\(r.err)")
        let rec = try Self.json(out.appendingPathComponent("reconstruction.json"))
        let psnr = try #require(rec["psnr"] as? Double), ssim = try #require(rec["ssim"] as? Double)
        #expect(psnr > 3 && psnr < 60 && ssim > -1 && ssim < 1 && rec["images"] as? Int == 5)
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("reconstruction.png").path))

        let bad = try CommandLineTests.run(["eval", "fid", data, data])
        #expect(bad.status != 0 && bad.err.contains("--weights") && bad.err.contains("--net"), "\(bad.err)")
    }
}
